"""A memory cgroup (v1) for one local server: the container's limit, enforced by the kernel.

A compose service runs under `deploy.resources.limits.memory`; the local target's servers run
on this machine's whole memory unless we put them somewhere smaller. Where the kernel offers a
writable v1 memory controller, a server is started inside a child group of the harness's own
group with the service's limit, and the run reads the group's own accounting: usage, the peak
(`memory.max_usage_in_bytes`, page cache included: it is charged to the group), how often the
limit was hit (`failcnt`) and the OOM kills (`memory.oom_control`).

Groups are named `spine-<harness pid>-<label>-<random>`, so the next run removes what a killed run left
behind (as `process.sweep_stale_workdirs` does for work directories).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pwd
import secrets
import time
from pathlib import Path

from spine_harness.servers.process import pid_alive

MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
PREFIX = "spine-"
MIB = 1024 * 1024


class CgroupUnavailable(RuntimeError):
    """No writable memory controller here; the message is one line saying why."""


def _own_group(root: Path = MEMORY_ROOT) -> Path:
    """The memory group this process is in (our children nest under it, so whatever accounts
    for the harness still accounts for its servers)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return root / path.lstrip("/")
    raise CgroupUnavailable("this process is in no v1 memory cgroup (cgroup v2 only, or no memory controller)")


@functools.cache
def unavailable_reason(root: Path = MEMORY_ROOT) -> str | None:
    """Why servers cannot be given memory limits on this machine, or None if they can."""
    if not (root / "memory.limit_in_bytes").exists():
        return f"no cgroup v1 memory controller at {root}"
    try:
        parent = _own_group(root)
    except (OSError, CgroupUnavailable) as exc:
        return str(exc)
    if not os.access(parent, os.W_OK):
        return f"{parent} is not writable (needs root)"
    return None


def sweep_stale(parent: Path | None = None) -> list[Path]:
    """Remove the harness's groups whose owning process is gone (a killed run's)."""
    if parent is None:
        if unavailable_reason():
            return []
        parent = _own_group()
    removed = []
    for group in parent.glob(f"{PREFIX}*"):
        owner = group.name[len(PREFIX):].split("-", 1)[0]
        if group.is_dir() and owner.isdigit() and not pid_alive(int(owner)):
            with contextlib.suppress(OSError):
                _kill_members(group)
                group.rmdir()
                removed.append(group)
    return removed


def _kill_members(group: Path) -> None:
    for pid in _members(group):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _members(group: Path) -> list[int]:
    try:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    except OSError:
        return []


@dataclasses.dataclass(frozen=True)
class MemoryAccounting:
    """The group's own figures at one moment."""

    limit_mib: float
    usage_mib: float
    peak_mib: float             # memory.max_usage_in_bytes: page cache included
    resident_mib: float         # rss + shmem now: what reclaim cannot give back (shared_buffers is shmem)
    cache_mib: float
    failcnt: int                # times usage hit the limit (reclaim ran); not by itself a failure
    oom_kills: int
    under_oom: bool

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class MemoryCgroup:
    """create(limit) -> processes join (at start, before they allocate) -> accounting -> remove()."""

    def __init__(self, label: str, parent: Path | None = None) -> None:
        self.label = label
        self.parent = parent
        self.path: Path | None = None

    def create(self, limit_mib: float, owner: str | None = None) -> "MemoryCgroup":
        """Make the group with `limit_mib`; `owner` (an account) may then move itself in, which is
        how a server that drops root joins before it execs (see `join_self`)."""
        if self.parent is None:
            if (why := unavailable_reason()):
                raise CgroupUnavailable(why)
            self.parent = _own_group()
        path = self.parent / f"{PREFIX}{os.getpid()}-{self.label}-{secrets.token_hex(3)}"   # unique per server
        path.mkdir()
        self.path = path
        try:
            self._write("memory.limit_in_bytes", str(int(limit_mib * MIB)))
            with contextlib.suppress(OSError):   # no swap here; where there is, forbid it too
                self._write("memory.memsw.limit_in_bytes", str(int(limit_mib * MIB)))
            if owner is not None:
                pw = pwd.getpwnam(owner)
                for name in ("cgroup.procs", "tasks"):
                    os.chown(path / name, pw.pw_uid, pw.pw_gid)
        except BaseException:
            self.remove()
            raise
        return self

    def _write(self, name: str, value: str) -> None:
        (self.path / name).write_text(value)

    def _read(self, name: str) -> str:
        return (self.path / name).read_text()

    @property
    def procs_file(self) -> Path:
        return self.path / "cgroup.procs"

    def join_self(self) -> None:
        """Move the calling process in; for a child between fork and exec (preexec_fn), so the
        server's first allocation is already charged to the group."""
        with open(self.procs_file, "w") as f:
            f.write(str(os.getpid()))

    def add(self, pid: int) -> None:
        with open(self.procs_file, "w") as f:
            f.write(str(pid))

    def members(self) -> list[int]:
        return _members(self.path) if self.path else []

    def stat(self) -> dict[str, int]:
        return {k: int(v) for k, v in (line.split() for line in self._read("memory.stat").splitlines())}

    def oom_control(self) -> dict[str, int]:
        return {k: int(v) for k, v in (line.split() for line in self._read("memory.oom_control").splitlines())}

    def resident_mib(self) -> float:
        """rss + shmem across the group (hierarchical totals): memory the kernel cannot reclaim
        by dropping page cache. The figure set against the static proof."""
        s = self.stat()
        return (s.get("total_rss", s.get("rss", 0)) + s.get("total_shmem", s.get("shmem", 0))) / MIB

    def accounting(self) -> MemoryAccounting:
        s, oom = self.stat(), self.oom_control()
        return MemoryAccounting(
            limit_mib=round(int(self._read("memory.limit_in_bytes")) / MIB, 1),
            usage_mib=round(int(self._read("memory.usage_in_bytes")) / MIB, 1),
            peak_mib=round(int(self._read("memory.max_usage_in_bytes")) / MIB, 1),
            resident_mib=round(self.resident_mib(), 1),
            cache_mib=round(s.get("total_cache", s.get("cache", 0)) / MIB, 1),
            failcnt=int(self._read("memory.failcnt")),
            oom_kills=oom.get("oom_kill", 0),
            under_oom=bool(oom.get("under_oom", 0)),
        )

    def reset_peak(self) -> None:
        """Start the peak (and failcnt) afresh, e.g. after loading data and before the scenario."""
        self._write("memory.max_usage_in_bytes", "0")
        self._write("memory.failcnt", "0")

    def remove(self, timeout: float = 5) -> None:
        """Remove the group once its processes are gone (a stopped server's last backends may
        take a moment); processes still in it after `timeout` are killed first."""
        if self.path is None:
            return
        deadline = time.monotonic() + timeout
        while self.members() and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill_members(self.path)
        for _ in range(100):
            try:
                self.path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:      # busy while the last member is being reaped
                time.sleep(0.05)
        self.path = None


def group_of(pid: int, root: Path = MEMORY_ROOT) -> MemoryCgroup | None:
    """The harness's memory group a running server is in (found from the server's pid, so a
    process that did not start it, e.g. the capacity command, can read its accounting)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(",") and Path(path).name.startswith(PREFIX):
            group = MemoryCgroup(Path(path).name)
            group.path = root / path.lstrip("/")
            return group
    return None
