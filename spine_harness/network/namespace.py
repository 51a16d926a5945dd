"""One network namespace the harness owns: create, configure, enter, delete.

Names carry the creating process's pid (`spine-<pid>-<n>-<role>`), so a later run deletes what a
killed run left behind. A namespace with no process in it lives on until deleted, which is why
the sweep exists.
"""
from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from spine_harness.servers.process import pid_alive, run_checked

NETNS_DIR = Path("/run/netns")
_PREFIX = "spine-"
_OWNED = re.compile(rf"^{_PREFIX}(\d+)-")
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_serial = itertools.count(1)


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def sweep_stale_namespaces() -> list[str]:
    """Delete the harness's namespaces whose creating process is gone; returns their names."""
    removed = []
    if NETNS_DIR.is_dir():
        for entry in sorted(NETNS_DIR.iterdir()):
            m = _OWNED.match(entry.name)
            if m and not pid_alive(int(m.group(1))):
                subprocess.run(["ip", "netns", "delete", entry.name], capture_output=True)
                removed.append(entry.name)
    return removed


def owned_namespaces(pid: int | None = None) -> list[str]:
    """The harness's namespaces that exist now (of one process, if `pid` is given)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(e.name for e in NETNS_DIR.iterdir()
                  if (m := _OWNED.match(e.name)) and (pid is None or int(m.group(1)) == pid))


class Namespace:
    """A named network namespace with loopback up."""

    def __init__(self, role: str):
        self.role = role
        self.name = f"{_PREFIX}{os.getpid()}-{next(_serial)}-{role}"
        self.created = False

    def create(self) -> "Namespace":
        run_checked(["ip", "netns", "add", self.name])
        self.created = True
        self.ip("link", "set", "lo", "up")
        return self

    def ip(self, *args: str) -> str:
        return run_checked(["ip", "-n", self.name, *args])

    def sysctl(self, setting: str) -> None:
        self.run(["sysctl", "-qw", setting], check=True)

    def run(self, cmd: Sequence[str], *, stdin: str | None = None, env: dict[str, str] | None = None,
            check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        """A command inside the namespace; with check=True a failure raises with its output."""
        proc = subprocess.run(["ip", "netns", "exec", self.name, *cmd], input=stdin, env=env,
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"in {self.name}: `{' '.join(cmd)}` exited {proc.returncode}\n"
                               f"--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}")
        return proc

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Move the calling thread into the namespace; sockets made inside stay there for life.

        The network namespace is per thread, so only this thread moves; it always moves back.
        """
        with open("/proc/thread-self/ns/net") as home, open(NETNS_DIR / self.name) as target:
            _setns(target.fileno())
            try:
                if os.stat("/proc/thread-self/ns/net").st_ino != os.fstat(target.fileno()).st_ino:
                    raise RuntimeError(f"setns did not move this thread into {self.name}")
                yield
            finally:
                _setns(home.fileno())

    def delete(self) -> None:
        """Remove the namespace, and with it every link and address inside it."""
        if self.created:
            subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)
            self.created = False
