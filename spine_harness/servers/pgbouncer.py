"""PgBouncer in transaction mode, standing in for Supavisor's port 6543 on the local target."""
from __future__ import annotations

import shutil
from pathlib import Path

import psycopg

from spine_harness.servers.process import ServerProcess, chown_to_server_user, free_port, make_workdir

PGBOUNCER_BIN = Path("/usr/sbin/pgbouncer")
# Supavisor's settings in the stack, and the LocalPgBouncer argument each one becomes: the local
# stand-in pools as the stack says Supavisor pools.
FROM_SUPAVISOR = {"POOLER_POOL_MODE": "pool_mode", "POOLER_DEFAULT_POOL_SIZE": "default_pool_size",
                  "POOLER_MAX_CLIENT_CONN": "max_client_conn"}
POOL_MODES = ("session", "transaction", "statement")


def settings_from_supavisor(env: dict[str, str], where: str = "the stack") -> dict:
    """LocalPgBouncer keyword arguments from Supavisor's environment; a clear error names a
    missing or malformed value."""
    found = {}
    for name, argument in FROM_SUPAVISOR.items():
        value = (env.get(name) or "").strip()
        if not value:
            raise ValueError(f"{where}: supavisor gives no {name}, which the local pooler takes its {argument} from")
        if argument == "pool_mode":
            if value not in POOL_MODES:
                raise ValueError(f"{where}: {name} = {value!r} is not one of {', '.join(POOL_MODES)}")
            found[argument] = value
        elif not value.isdigit():
            raise ValueError(f"{where}: {name} = {value!r} is not a whole number")
        else:
            found[argument] = int(value)
    return found


class LocalPgBouncer:
    """One pooler in front of one Postgres; every database name is passed through."""

    def __init__(self, upstream_host: str, upstream_port: int, users: dict[str, str], *,
                 pool_mode: str = "transaction", default_pool_size: int = 20, max_client_conn: int = 100,
                 label: str = "pgbouncer", extra: dict[str, str] | None = None, cgroup=None):
        """`cgroup` (a created servers.cgroup.MemoryCgroup): PgBouncer starts inside it."""
        if not PGBOUNCER_BIN.exists():
            raise RuntimeError(f"PgBouncer is not installed ({PGBOUNCER_BIN}): run `make setup`")
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.users = users
        self.pool_mode = pool_mode
        self.default_pool_size = default_pool_size
        self.max_client_conn = max_client_conn
        self.extra = extra or {}
        self.label = label
        self.cgroup = cgroup
        self.host = "127.0.0.1"
        self.port = 0
        self.workdir: Path | None = None
        self.process: ServerProcess | None = None

    def dsn(self, user: str, dbname: str, password: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=user, dbname=dbname,
            password=self.users[user] if password is None else password, connect_timeout=5,
        )

    def admin_dsn(self) -> str:
        """The console (database `pgbouncer`); it speaks only the simple query protocol."""
        return self.dsn("postgres", "pgbouncer")

    def _write_config(self) -> Path:
        userlist = self.workdir / "userlist.txt"
        userlist.write_text("".join(f'"{u}" "{p}"\n' for u, p in self.users.items()))
        settings = {
            "listen_addr": self.host,
            "listen_port": str(self.port),
            "unix_socket_dir": "",
            "auth_type": "scram-sha-256",
            "auth_file": str(userlist),
            "admin_users": "postgres",
            "stats_users": "postgres",
            "pool_mode": self.pool_mode,
            "default_pool_size": str(self.default_pool_size),
            "max_client_conn": str(self.max_client_conn),
            "max_db_connections": str(self.default_pool_size),
            "ignore_startup_parameters": "extra_float_digits,options",
            "server_reset_query_always": "0",
            "pidfile": str(self.workdir / "pgbouncer.pid"),
            "logfile": "",
            "server_login_retry": "1",
        } | self.extra
        ini = self.workdir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={self.upstream_host} port={self.upstream_port}\n\n"
            "[pgbouncer]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
        )
        chown_to_server_user(userlist, ini)
        userlist.chmod(0o600)
        return ini

    def start(self, timeout: float = 15) -> "LocalPgBouncer":
        self.workdir = make_workdir(self.label)
        self.port = free_port()
        ini = self._write_config()
        self.process = ServerProcess(self.label, [str(PGBOUNCER_BIN), str(ini)], self.workdir / "pgbouncer.log",
                                     cgroup=self.cgroup)
        self.process.start()

        def probe() -> bool:
            with psycopg.connect(self.admin_dsn(), autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
                conn.execute("SHOW VERSION")
                return True
        self.process.wait_ready(
            probe, timeout=timeout, what=f"its admin console on {self.host}:{self.port}",
            hint="check that the pgbouncer package is installed (`make setup`)",
        )
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "LocalPgBouncer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
