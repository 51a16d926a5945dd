"""Debian's nginx serving one site file of the stack, unchanged, on free loopback ports.

The site keeps what differs per host in relative includes (spine-edge/: where Kong listens, the
listen lines, the certificate). nginx resolves relative includes against the directory of its
main configuration, so the harness writes its own main configuration and its own spine-edge/
side by side in a work directory, and the site file is read from the stack as it is.
"""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

from spine_harness.servers.process import ServerProcess, free_port, make_workdir, run_checked, server_user

NGINX_BIN = Path("/usr/sbin/nginx")
HOST_INCLUDES = "spine-edge"


class LocalNginx:
    def __init__(self, site: Path, *, upstream: tuple[str, int], certificate: tuple[bytes, bytes],
                 label: str = "nginx"):
        if not NGINX_BIN.exists():
            raise RuntimeError(f"nginx is not installed ({NGINX_BIN}): run `make setup`")
        if not site.is_file():
            raise RuntimeError(f"no nginx site file at {site}")
        self.site = site
        self.upstream = upstream
        self.certificate = certificate
        self.label = label
        self.host = "127.0.0.1"
        self.http_port = 0
        self.https_port = 0
        self.workdir: Path | None = None
        self.process: ServerProcess | None = None

    @property
    def main_config(self) -> Path:
        return self.workdir / "nginx.conf"

    def _nginx(self, *args: str) -> list[str]:
        return [str(NGINX_BIN), "-p", str(self.workdir), "-c", str(self.main_config), "-e", "stderr", *args]

    def _write_config(self) -> None:
        wd = self.workdir
        cert, key = wd / "edge.crt", wd / "edge.key"
        cert.write_bytes(self.certificate[0])
        key.write_bytes(self.certificate[1])
        key.chmod(0o600)
        includes = wd / HOST_INCLUDES
        includes.mkdir()
        (includes / "kong-upstream.conf").write_text(f"server {self.upstream[0]}:{self.upstream[1]};\n")
        (includes / "listen-http.conf").write_text(f"listen {self.host}:{self.http_port};\n")
        (includes / "listen-https.conf").write_text(
            f"listen {self.host}:{self.https_port} ssl http2;\nssl_certificate {cert};\nssl_certificate_key {key};\n")
        user = server_user()
        temp = "".join(f"    {kind}_temp_path {wd / 'tmp' / kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        self.main_config.write_text(
            (f"user {user};\n" if user else "")
            + f"daemon off;\nworker_processes 1;\npid {wd / 'nginx.pid'};\nerror_log stderr notice;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            f"    access_log {wd / 'access.log'};\n{temp}"
            f"    include {self.site.resolve()};\n"
            "}\n")
        (wd / "tmp").mkdir()

    def start(self, timeout: float = 15) -> "LocalNginx":
        self.workdir = make_workdir(self.label)
        self.http_port, self.https_port = free_port(), free_port()
        try:
            self._write_config()
            run_checked(self._nginx("-t", "-q"))   # a broken site fails here, with nginx's own words
            self.process = ServerProcess(self.label, self._nginx(), self.workdir / "nginx.log", as_server_user=False)
            self.process.start()

            def probe() -> bool:
                for port in (self.http_port, self.https_port):
                    socket.create_connection((self.host, port), timeout=1).close()
                return True
            self.process.wait_ready(probe, timeout=timeout, what=f"ports {self.http_port} and {self.https_port}",
                                    hint=f"check the site file {self.site} with `nginx -t`")
        except BaseException:
            self.stop()
            raise
        return self

    def running_config(self) -> str:
        """`nginx -T`: every file of the configuration this server was started with."""
        return run_checked(self._nginx("-T", "-q"))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "LocalNginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
