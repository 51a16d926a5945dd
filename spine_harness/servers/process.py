"""Running a server process we own: free ports, a private work directory, readiness, and a stop
that always happens.

Every child is started with PR_SET_PDEATHSIG so that the kernel kills it if the harness itself
dies (SIGKILL, a crashed CI runner); work directories carry the owner's pid so the next run can
sweep what a killed run left behind.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

WORK_ROOT = Path(tempfile.gettempdir()) / "spine-harness"
_PR_SET_PDEATHSIG = 1


class ServerNotReady(RuntimeError):
    """A server did not become ready in time; the message carries its log tail and a hint."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_user() -> str | None:
    """The account servers run as: `postgres` when we are root (Postgres and PgBouncer refuse
    to run as root), else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise RuntimeError("running as root but there is no 'postgres' user: run `make setup`") from exc
    return "postgres"


def pid_alive(pid: int) -> bool:
    """Whether a process exists (owned by anyone): how leftovers of a killed run are told apart."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_workdirs() -> None:
    """Remove work directories whose owning harness process no longer exists."""
    if not WORK_ROOT.is_dir():
        return
    for d in WORK_ROOT.iterdir():
        pid = d.name.split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def make_workdir(label: str) -> Path:
    """A private directory for one server, owned by the account it runs as."""
    WORK_ROOT.mkdir(mode=0o755, exist_ok=True)
    os.chmod(WORK_ROOT, 0o755)
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{label}-", dir=WORK_ROOT))
    user = server_user()
    if user:
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o700)
    return path


def chown_to_server_user(*paths: Path) -> None:
    user = server_user()
    if not user:
        return
    pw = pwd.getpwnam(user)
    for p in paths:
        os.chown(p, pw.pw_uid, pw.pw_gid)


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run_checked(cmd: Sequence[str], *, as_server_user: bool = False, timeout: float = 60, **kw) -> str:
    """Run a short command; on failure raise with its output, never half-silently."""
    user = server_user() if as_server_user else None
    proc = subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, user=user,
        preexec_fn=_die_with_parent, **kw,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n--- stdout\n{proc.stdout[-2000:]}"
            f"\n--- stderr\n{proc.stderr[-2000:]}"
        )
    return proc.stdout


class ServerProcess:
    """One long-running child whose output goes to a log file we can quote."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path, *, as_server_user: bool = True,
                 env: dict[str, str] | None = None, cgroup=None):
        """`cgroup` (a servers.cgroup.MemoryCgroup): the child moves itself into it before it
        execs, so everything the server allocates is charged to the group from the start."""
        self.name = name
        self.cgroup = cgroup
        self.cmd = list(cmd)
        self.log_path = log_path
        self.as_server_user = as_server_user
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                user=server_user() if self.as_server_user else None,
                preexec_fn=self._preexec, env=self.env, start_new_session=True,
            )
        finally:
            log.close()

    def _preexec(self) -> None:
        _die_with_parent()
        if self.cgroup is not None:
            self.cgroup.join_self()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, probe: Callable[[], bool], *, timeout: float, what: str, hint: str) -> None:
        """Poll `probe` until it returns True; fail fast if the process exits."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise ServerNotReady(
                    f"{self.name} exited with code {self.proc.returncode if self.proc else '?'} "
                    f"while waiting for {what}.\n--- {self.log_path}\n{self.log_tail()}\nHint: {hint}"
                )
            try:
                if probe():
                    return
            except Exception as exc:  # readiness probes fail in many transient ways
                last_error = exc
            time.sleep(0.05)
        raise ServerNotReady(
            f"{self.name} was not ready after {timeout:.0f}s waiting for {what} "
            f"(last error: {last_error!r}).\n--- {self.log_path}\n{self.log_tail()}\nHint: {hint}"
        )

    def send_signal(self, sig: int) -> None:
        if self.running:
            self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
