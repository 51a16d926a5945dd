"""Pooled capacity in clients, not only requests: a staircase of client counts (100, 250, 500,
1,000), each client one Locust user holding one open connection through the pooler with think
time between its requests (load/pooled_clients.py), all sharing the pooler's server
connections (20). Per step: p95 latency, errors, how many clients the pooler really held and
how many server connections it used, and how busy the Locust processes were (whether the
generator itself kept up).

Before the run the pooler's client limit and its open-files limit must cover the top step: the
client limit is the run's to set (a local Spine started with it raised); the open-files limit of
a local PgBouncer is raised here (prlimit) when it is short, and so is this process's, which
Locust inherits."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from spine_harness.capacity.sampling import (
    PROC, _pid_from_file, pool_figures, pooler_console, pooler_setting, tree_cpu_seconds)
from spine_harness.capacity.stats import TOTAL
from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.settings import Settings, child_environment
from spine_harness.targets import Target

# Connections beyond the Locust users that reach the pooler during the run: each Locust
# process counts the population once, the sampler and this module watch the console.
HARNESS_CLIENTS = 20
LOCUSTFILE = "load/pooled_clients.py"
SAMPLE_EVERY_S = 1.0
SETTLE_S = 2.0              # after the last client of a step connected, before "held" windows count
STAGE_SKIP = (0.25, 0.05)   # of each step, left out of the sampled figures: the spawn, the step change


class PooledClientsRefused(RuntimeError):
    """The target cannot hold the run's clients (its client limit); one line, nothing run."""


@dataclasses.dataclass(frozen=True)
class PooledPlan:
    clients: tuple[int, ...] = (100, 250, 500, 1000)
    step_seconds: float = 20.0
    think_seconds: float = 1.0
    spawn_rate: float = 100.0    # new clients per second at each step
    processes: int = 1
    slo_p95_ms: float = 100.0
    sample_seconds: float = 3.0  # Locust's statistics window

    @property
    def max_client_conn(self) -> int:
        """The pooler client limit the run needs."""
        return max(self.clients) + HARNESS_CLIENTS

    @property
    def open_files(self) -> int:
        """File descriptors a process holding every client needs (sockets, logs, libraries)."""
        return self.max_client_conn + 200


def raise_own_nofile(needed: int) -> dict:
    """Raise this process's soft open-files limit towards `needed` (up to its hard limit), before
    the servers and Locust start: they inherit it. The before and after figures."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    return {"before": soft, "after": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "hard": hard, "needed": needed}


def open_files_limit(pid: int) -> int | None:
    """A process's soft open-files limit, from /proc (readable where prlimit on another user's
    process is not: a container without CAP_SYS_RESOURCE)."""
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "limits").read_text().splitlines():
            if line.startswith("Max open files"):
                value = line.split()[3]
                return None if value == "unlimited" else int(value)
    return None


def raise_open_files(pid: int, needed: int) -> dict:
    """A running process's open-files limit, raised to `needed` where the kernel lets us."""
    before = open_files_limit(pid)
    if before is not None and before < needed:
        with contextlib.suppress(OSError):
            hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    return {"before": before, "after": open_files_limit(pid), "needed": needed}




@dataclasses.dataclass
class Sample:
    t: float                 # seconds since Locust was started
    clients: int             # client connections the pooler holds for the Spine's databases
    waiting: int
    servers: int             # server connections of its busiest pool (one user, one database)
    locust_cpu_s: float


class PoolWatcher:
    """Samples the pooler's console and the Locust process tree once a second, in a thread."""

    def __init__(self, console_dsn: str, locust_pid: int) -> None:
        self.console_dsn, self.pid = console_dsn, locust_pid
        self.samples: list[Sample] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.t0 = time.monotonic()

    def __enter__(self) -> "PoolWatcher":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join(timeout=10)

    def _loop(self) -> None:
        with pooler_console(self.console_dsn) as console:
            while not self.done.wait(SAMPLE_EVERY_S):
                with contextlib.suppress(Exception):
                    f = pool_figures(console)
                    self.samples.append(Sample(
                        round(time.monotonic() - self.t0, 2), int(f["cl_active"] + f["cl_waiting"]),
                        int(f["cl_waiting"]), int(f["sv_busiest_pool"]),
                        tree_cpu_seconds(self.pid)))


def check_pooler(target: Target, plan: PooledPlan) -> dict:
    """The pooler's limits against the plan: refuse when the client limit is short; raise a local
    PgBouncer's open-files limit when it is."""
    with pooler_console(target.pooler_admin_dsn) as console:
        max_client_conn = int(pooler_setting(console, "max_client_conn") or 0)
        pool_size = int(pooler_setting(console, "default_pool_size") or 0)
        pidfile = pooler_setting(console, "pidfile")
    if max_client_conn < plan.max_client_conn:
        raise PooledClientsRefused(
            f"the pooler allows {max_client_conn} clients and the run needs {plan.max_client_conn} "
            f"({max(plan.clients)} + {HARNESS_CLIENTS} for the harness): raise its max_client_conn for the run")
    figures = {"max_client_conn": max_client_conn, "default_pool_size": pool_size}
    pid = None
    with contextlib.suppress(OSError, ValueError, TypeError):
        pid = _pid_from_file(pidfile) if pidfile else None
    if pid is not None and (PROC / str(pid)).exists():
        files = figures["pooler_open_files"] = raise_open_files(pid, plan.max_client_conn + 2 * pool_size + 100)
        if files["after"] is not None and files["after"] < files["needed"]:
            raise PooledClientsRefused(
                f"PgBouncer (pid {pid}) may open {files['after']} files and the run needs {files['needed']}: "
                f"start it with a higher `ulimit -n`")
    return figures


def _stage_samples(samples: list[Sample], start: float, stage_index: int, step: float) -> list[Sample]:
    lo, hi = start + (stage_index + STAGE_SKIP[0]) * step, start + (stage_index + 1 - STAGE_SKIP[1]) * step
    return [s for s in samples if lo <= s.t <= hi]


def _test_start(samples: list[Sample], baseline: int) -> float:
    """When Locust's users began to connect: the first sample with more clients than before."""
    for previous, s in zip(samples, samples[1:]):
        if s.clients > baseline:
            return previous.t
    return samples[0].t if samples else 0.0


def held_p95(data: dict, samples: list[Sample], start: float, baseline: int, clients: int) -> float | None:
    """p95 while the step's clients are all connected: from the windows that begin SETTLE_S after
    the pooler first held them all (so the arrival of the step's new clients, each one a SCRAM
    login at the pooler, is left out). The worst of those windows' p95s: the step's p95 over them
    is at most that (in each window at most 5% of the requests took longer)."""
    connected = next((s.t for s in samples if s.clients - baseline >= clients), None)
    if connected is None:
        return None
    worst, previous_end = None, 0.0
    for w in data["windows"]:
        p95 = w["by_name"].get(TOTAL, {}).get("p95_ms")
        if w["users"] == clients and start + previous_end >= connected + SETTLE_S and p95 is not None:
            worst = p95 if worst is None else max(worst, p95)
        previous_end = w["end_s"]
    return worst


def summarise(plan: PooledPlan, data: dict, samples: list[Sample], baseline: int) -> list[dict]:
    """One row per step: Locust's figures for the stage beside the sampled pooler and CPU."""
    start = _test_start(samples, baseline)
    by_users = {}
    for stage in data["stages"]:
        by_users.setdefault(stage["users"], stage)   # the staircase visits each count once
    rows = []
    for index, clients in enumerate(plan.clients):
        stage = by_users.get(clients)
        total = (stage or {}).get("by_name", {}).get(TOTAL, {})
        window = _stage_samples(samples, start, index, plan.step_seconds)
        cpu = (None if len(window) < 2 else
               round((window[-1].locust_cpu_s - window[0].locust_cpu_s) / (window[-1].t - window[0].t), 2))
        rows.append({
            "clients": clients, "requests": total.get("requests", 0), "errors": total.get("failures", 0),
            "rps": total.get("rps"), "p50_ms": total.get("p50_ms"), "p95_ms": total.get("p95_ms"),
            "p99_ms": total.get("p99_ms"),
            "held_p95_ms": held_p95(data, samples, start, baseline, clients),
            "clients_held": max((s.clients - baseline for s in window), default=None),
            "clients_waiting_max": max((s.waiting for s in window), default=None),
            "server_connections_max": max((s.servers for s in window), default=None),
            "locust_cpu_cores": cpu,
        })
    return rows


def verdict(plan: PooledPlan, rows: list[dict], run_errors: int, pool_size: int) -> tuple[bool, list[str]]:
    """The goal at the top step: no errors, p95 within the SLO while every client is held at once
    (the held p95; the step's whole p95, arrivals included, is reported beside it), on no more
    server connections than the pool."""
    top = rows[-1]
    failures = []
    if run_errors:
        failures.append(f"{run_errors} errors in the run")
    if top["held_p95_ms"] is None or top["held_p95_ms"] > plan.slo_p95_ms:
        failures.append(f"p95 {top['held_p95_ms']} ms with {top['clients']} clients held exceeds the SLO "
                        f"{plan.slo_p95_ms:g} ms")
    if top["clients_held"] is None or top["clients_held"] < top["clients"]:
        failures.append(f"the pooler held {top['clients_held']} of {top['clients']} clients at once")
    if pool_size and (top["server_connections_max"] or 0) > pool_size:
        failures.append(f"{top['server_connections_max']} server connections, more than the pool's {pool_size}")
    return not failures, failures


def locust_command(plan: PooledPlan, out_dir: Path) -> list[str]:
    cmd = ["locust", "-f", LOCUSTFILE, "--headless", "--only-summary",
           "--spine-ramp", ",".join(map(str, plan.clients)), "--spine-ramp-step", f"{plan.step_seconds:g}",
           "--spine-think", f"{plan.think_seconds:g}", "--spine-spawn-rate", f"{plan.spawn_rate:g}", "--slo-p95-ms", f"{plan.slo_p95_ms:g}",
           "--spine-sample", f"{plan.sample_seconds:g}", "--spine-report", str(out_dir)]
    if plan.processes > 1:
        cmd += ["--processes", str(plan.processes)]
    return cmd


def measure(target: Target, attach: Path, plan: PooledPlan, report_dir: Path, progress=print) -> dict:
    """Run the staircase once against a started target (its pooler already allowing the clients);
    Locust's own capacity report of the run goes to `report_dir`."""
    pooler = check_pooler(target, plan)
    own_files = raise_own_nofile(plan.open_files)
    cmd = locust_command(plan, report_dir)
    env = child_environment(Settings().replace(attach=attach))
    with pooler_console(target.pooler_admin_dsn) as console:
        f = pool_figures(console)
        baseline = int(f["cl_active"] + f["cl_waiting"])
    load_before = os.getloadavg()[0]
    progress(f"running: {' '.join(cmd)}  (about {len(plan.clients) * plan.step_seconds:.0f}s)")
    report_dir.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen([sys.executable, "-m", *cmd], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as proc:
        with PoolWatcher(target.pooler_admin_dsn, proc.pid) as watcher:
            _, stderr = proc.communicate(timeout=len(plan.clients) * plan.step_seconds + 180)
    # Locust's summary (its error table names each error) beside its report.
    (report_dir / "locust.log").write_text(stderr)
    if not (report_dir / "capacity.json").exists():
        raise RuntimeError(f"locust exited {proc.returncode} without a report:\n{stderr[-2000:]}")
    data = json.loads((report_dir / "capacity.json").read_text())
    rows = summarise(plan, data, watcher.samples, baseline)
    run_errors = sum(w["by_name"].get(TOTAL, {}).get("failures", 0) for w in data["windows"])
    passed, failures = verdict(plan, rows, run_errors, pooler["default_pool_size"])
    errors_by_name = {}
    for stage in data["stages"]:
        for name, fig in stage["by_name"].items():
            if name != TOTAL and fig.get("failures"):
                errors_by_name[name] = errors_by_name.get(name, 0) + fig["failures"]
    return {
        "target": target.title, "plan": dataclasses.asdict(plan), "machine_cpus": os.cpu_count(),
        "pooler": pooler, "harness_open_files": own_files, "steps": rows, "run_errors": run_errors,
        "errors_by_name": errors_by_name, "passed": passed, "failures": failures,
        "locust_exit": proc.returncode,
        # The machine's load average (1 min) before and after: on a shared machine other work
        # competes with the servers and Locust for the same cores.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "command": "python -m spine_harness pooled-clients --clients " + ",".join(map(str, plan.clients))
                   + f" --step {plan.step_seconds:g} --think {plan.think_seconds:g} --spawn-rate {plan.spawn_rate:g}"
                   + f" --processes {plan.processes}",
        "locust_command": " ".join(cmd),
    }


def table(result: dict) -> list[str]:
    """The figures as text lines (the command prints them; the report has its own table)."""
    lines = [f"{'clients':>8} {'held':>6} {'servers':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'held p95':>8} {'errors':>6} {'locust cores':>12}"]
    for r in result["steps"]:
        lines.append(f"{r['clients']:>8} {_fmt(r['clients_held']):>6} {_fmt(r['server_connections_max']):>7} "
                     f"{_fmt(r['rps']):>7} {_fmt(r['p50_ms']):>7} {_fmt(r['p95_ms']):>7} "
                     f"{_fmt(r['held_p95_ms']):>8} {r['errors']:>6} {_fmt(r['locust_cpu_cores']):>12}")
    return lines


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if isinstance(v, float) and v >= 10 else f"{v}"
