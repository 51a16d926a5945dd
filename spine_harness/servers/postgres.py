"""PostgreSQL 15 from Debian's binaries, configured by the stack's own postgresql.conf.

Only port, paths and listen address are overridden (on the command line, so pg_settings shows
them as such); everything else, pg_hba.conf included, is the file the stack deploys.
"""
from __future__ import annotations

import shutil
import signal
from pathlib import Path

import psycopg

from spine_harness.config.paths import STACK_DIR
from spine_harness.servers.process import (
    ServerProcess, chown_to_server_user, free_port, make_workdir, run_checked,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STACK_POSTGRESQL_CONF = STACK_DIR / "volumes" / "db" / "postgresql.conf"
STACK_PG_HBA = STACK_DIR / "volumes" / "db" / "pg_hba.conf"


class LocalPostgres:
    """A throwaway cluster: initdb, start, ready, stop, and the directory gone afterwards."""

    def __init__(self, password: str, *, conf: Path | None = STACK_POSTGRESQL_CONF, hba: Path = STACK_PG_HBA,
                 label: str = "postgres", cgroup=None):
        """`conf=None` keeps the postgresql.conf initdb wrote: Postgres' defaults, the baseline
        the tuning benchmark compares the stack's file against. `cgroup` (a created
        servers.cgroup.MemoryCgroup): the postmaster starts inside it, so it and every backend
        live under its limit."""
        if not (PG_BIN / "postgres").exists():
            raise RuntimeError(f"PostgreSQL 15 is not installed ({PG_BIN}): run `make setup`")
        self.password = password
        self.conf = conf
        self.hba = hba
        self.label = label
        self.cgroup = cgroup
        self.host = "127.0.0.1"
        self.port = 0
        self.workdir: Path | None = None
        self.process: ServerProcess | None = None

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    def dsn(self, user: str = "postgres", dbname: str = "postgres", password: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=user, dbname=dbname,
            password=self.password if password is None else password, connect_timeout=5,
        )

    def start(self, timeout: float = 30) -> "LocalPostgres":
        self.workdir = make_workdir(self.label)
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        chown_to_server_user(pwfile)
        pwfile.chmod(0o600)
        try:
            run_checked(
                [str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--pwfile", str(pwfile),
                 "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                as_server_user=True,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        # The stack's own files, copied so the server account can read them wherever the clone lives.
        if self.conf is not None:
            shutil.copyfile(self.conf, self.datadir / "postgresql.conf")
        shutil.copyfile(self.hba, self.datadir / "pg_hba.conf")
        chown_to_server_user(self.datadir / "postgresql.conf", self.datadir / "pg_hba.conf")
        socket_dir = self.workdir / "socket"
        socket_dir.mkdir()
        chown_to_server_user(socket_dir)
        self.port = free_port()
        self.process = ServerProcess(
            self.label,
            [str(PG_BIN / "postgres"), "-D", str(self.datadir),
             "-c", f"port={self.port}", "-c", f"listen_addresses={self.host}",
             "-c", f"unix_socket_directories={socket_dir}"],
            self.workdir / "postgres.log", cgroup=self.cgroup,
        )
        self.process.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        def probe() -> bool:
            with psycopg.connect(self.dsn()) as conn:
                return conn.execute("select 1").fetchone() == (1,)
        self.process.wait_ready(
            probe, timeout=timeout, what=f"a SCRAM login on {self.host}:{self.port}",
            hint="check that postgresql-15 is installed and that stack/volumes/db/postgresql.conf is valid",
        )

    def restart(self, timeout: float = 30) -> None:
        """Fast shutdown and start again on the same port and data, as a crash-free restart would."""
        self.process.stop(signal.SIGINT)
        self.process.start()
        self.wait_ready(timeout)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGINT)  # fast shutdown: roll back clients, no waiting on them
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
