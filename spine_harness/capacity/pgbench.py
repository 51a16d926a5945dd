"""Running Postgres' own pgbench against a target: the yardstick the Locust client is measured
against, and the tool for connection-per-transaction figures (`-C`)."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import psycopg

from spine_harness.capacity import operations as ops

PGBENCH = Path("/usr/lib/postgresql/15/bin/pgbench")


@dataclasses.dataclass(frozen=True)
class PgbenchResult:
    tps: float
    transactions: int
    failed: int
    latency_ms: float | None
    command: str          # as a person would type it (no password)
    output: str


def write_mix(directory: Path, users: int) -> list[str]:
    """One script per operation, weighted as the Locust user weights them: `-f file@weight` args."""
    args = []
    for op in ops.OPERATIONS:
        path = directory / f"{op.name.replace(' ', '_')}.sql"
        path.write_text(ops.pgbench_script(op, users))
        args += ["-f", f"{path}@{op.weight}"]
    return args


def run(dsn: str, args: list[str], timeout: float = 600) -> PgbenchResult:
    """pgbench with the connection parameters from `dsn`; the password travels in the
    environment, never on the command line."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    env = os.environ | {"PGPASSWORD": str(params.pop("password", ""))}
    params.pop("connect_timeout", None)
    conninfo = psycopg.conninfo.make_conninfo(**params)
    cmd = [str(PGBENCH), "-n", *args, conninfo]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    shown = " ".join(cmd[:-1]) + f" '{conninfo}'"
    if proc.returncode != 0:
        raise RuntimeError(f"`{shown}` exited {proc.returncode}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")

    def number(pattern: str) -> float | None:
        match = re.search(pattern, proc.stdout)
        return float(match.group(1)) if match else None
    return PgbenchResult(
        tps=number(r"tps = ([\d.]+)") or 0.0,
        transactions=int(number(r"number of transactions actually processed: (\d+)") or 0),
        failed=int(number(r"number of failed transactions: (\d+)") or 0),
        latency_ms=number(r"latency average = ([\d.]+) ms"),
        command=shown, output=proc.stdout,
    )
