"""A Postgres of the harness's own inside a network namespace, running a target's pg_hba.conf, so
that a login can really arrive from any address: every source address lives on one veth end
in the namespace, and a client connecting to an address of its own arrives from it.

The target's server listens on this machine's loopback (or farther away), where no other
source address exists without changing the machine's own network; the replica reads the
target's file as the target's server does (same major version, the same parser and matching),
with the roles and databases the file names, and nothing else of the target. It speaks TLS (a
throwaway certificate) so that hostssl lines are tried as well as host and hostnossl ones.
"""
from __future__ import annotations

import ipaddress
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

import psycopg

from spine_harness.edge.certificate import self_signed
from spine_harness.network.address_classes import IPAddress
from spine_harness.network.namespace import Namespace, sweep_stale_namespaces
from spine_harness.servers.postgres import PG_BIN
from spine_harness.servers.process import (
    ServerProcess, chown_to_server_user, make_workdir, run_checked, server_user,
)

PORT = 5432          # the namespace is the replica's alone
INTERFACE = "hba0"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class HbaReplica:
    def __init__(self, hba_text: str, sources: Iterable[IPAddress], *, users: Iterable[str] = (),
                 groups: Iterable[str] = (), databases: Iterable[str] = ()):
        self.hba_text = hba_text
        self.sources = sorted(set(sources), key=lambda a: (a.version, int(a)))
        self.users = sorted(set(users) - {"postgres"})
        self.groups = sorted(set(groups))
        self.databases = sorted(set(databases) - {"postgres"})
        self.password = secrets.token_urlsafe(18)
        self.ns = Namespace("hba")
        self.workdir: Path | None = None
        self.process: ServerProcess | None = None

    # --- what a probe gets ---------------------------------------------------------------------
    @property
    def logins(self) -> list[tuple[str, str]]:
        """(user, database) pairs to try from each source: every name the file singles out."""
        users = ["postgres", *self.users, *(self.member(g) for g in self.groups)]
        return [(u, d) for u in users for d in ["postgres", *self.databases]]

    @staticmethod
    def member(group: str) -> str:
        return f"spine_hba_member_of_{group}"[:63]

    def host(self, address: IPAddress) -> str:
        text = str(address)
        return f"{text}%{INTERFACE}" if address.version == 6 and address.is_link_local else text

    def login_error(self, source: IPAddress, user: str = "postgres", database: str = "postgres",
                    sslmode: str = "disable") -> str | None:
        """A login with the right password arriving from `source`: None if it got in, else why not."""
        with self.ns.entered():
            try:
                # No GSSAPI round first: the namespace has no Kerberos (nor DNS) to wait for.
                with psycopg.connect(host=self.host(source), port=PORT, user=user, dbname=database,
                                     password=self.password, connect_timeout=3, autocommit=True,
                                     sslmode=sslmode, gssencmode="disable") as conn:
                    conn.execute("select 1")
            except psycopg.OperationalError as exc:
                return str(exc).strip()
        return None

    def admitted(self, source: IPAddress) -> list[str]:
        """Every way in from `source`: each login the file singles out, over TLS (hostssl lines)
        and without (hostnossl lines)."""
        return [f"{user}@{database} {mode}" for user, database in self.logins for mode in ("disable", "require")
                if self.login_error(source, user, database, mode) is None]

    # --- life ----------------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> "HbaReplica":
        user = server_user()
        if user is None:
            raise RuntimeError("the pg_hba replica runs in a network namespace: it needs root")
        sweep_stale_namespaces()
        try:
            self._network()
            self._cluster()
            socket_dir = self.workdir / "socket"
            self.process = ServerProcess(
                "hba-replica",
                ["ip", "netns", "exec", self.ns.name, "setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                 "--", str(PG_BIN / "postgres"),
                 "-D", str(self.workdir / "data"), "-c", f"port={PORT}", "-c", "listen_addresses=*",
                 "-c", f"unix_socket_directories={socket_dir}", "-c", "log_connections=off", "-c", "ssl=on"],
                self.workdir / "postgres.log", as_server_user=False)
            self.process.start()

            def ready() -> bool:
                proc = subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", str(socket_dir), "-p", str(PORT)],
                                      capture_output=True)
                return proc.returncode == 0
            self.process.wait_ready(ready, timeout=timeout, what="the replica accepting connections",
                                    hint="the target's pg_hba.conf may not load: see test_rules_as_loaded")
        except BaseException:
            self.stop()
            raise
        return self

    def _network(self) -> None:
        self.ns.create()
        self.ns.sysctl("net.ipv6.conf.all.accept_dad=0")
        self.ns.sysctl("net.ipv6.conf.default.accept_dad=0")
        # One veth pair, both ends inside: the addresses sit on one end as on a host's LAN card.
        self.ns.ip("link", "add", INTERFACE, "type", "veth", "peer", "name", f"{INTERFACE}-peer")
        for end in (INTERFACE, f"{INTERFACE}-peer"):
            self.ns.ip("link", "set", end, "up")
        commands = []
        for address in self.sources:
            if address in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")):
                continue                                  # lo's own
            # A loopback address of its own on lo, else the kernel answers 127.0.0.2 from 127.0.0.1.
            device = "lo" if address.is_loopback else INTERFACE
            prefix = 32 if address.version == 4 else 128
            commands.append(f"addr add {address}/{prefix} dev {device}" + (" nodad" if address.version == 6 else ""))
        run_checked(["ip", "-n", self.ns.name, "-batch", "-"], input="\n".join(commands) + "\n")

    def _cluster(self) -> None:
        self.workdir = make_workdir("hba-replica")
        data, pwfile = self.workdir / "data", self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        chown_to_server_user(pwfile)
        pwfile.chmod(0o600)
        try:
            run_checked([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
                         "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
                         "--no-instructions"], as_server_user=True)
        finally:
            pwfile.unlink(missing_ok=True)
        statements = [f"create role {_ident(u)} login password {_literal(self.password)};" for u in self.users]
        for group in self.groups:
            statements += [f"create role {_ident(group)} nologin;",
                           f"create role {_ident(self.member(group))} login password {_literal(self.password)}"
                           f" in role {_ident(group)};"]
        statements += [f"create database {_ident(d)};" for d in self.databases]
        if statements:
            # Single-user mode: no login, so whatever the target's file admits does not matter yet.
            run_checked([str(PG_BIN / "postgres"), "--single", "-D", str(data), "-j", "postgres"],
                        as_server_user=True, input="\n".join(statements) + "\n")
        (data / "pg_hba.conf").write_text(self.hba_text)
        certificate, key = self_signed("hba-replica")
        (data / "server.crt").write_bytes(certificate)
        (data / "server.key").write_bytes(key)
        (data / "server.key").chmod(0o600)
        chown_to_server_user(data / "pg_hba.conf", data / "server.crt", data / "server.key")
        (self.workdir / "socket").mkdir()
        chown_to_server_user(self.workdir / "socket")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGINT)
            self.process = None
        self.ns.delete()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "HbaReplica":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
