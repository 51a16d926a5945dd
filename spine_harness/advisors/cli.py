"""Finding and running the pinned Supabase CLI (`supabase db advisors`).

The CLI is installed by tools/install-supabase-cli.sh into .tools/supabase-cli/ at the version
tools/supabase-cli.version pins. It is run with the password in PGPASSWORD (its pgx driver reads
libpq's variables), never on its command line, with its update check and telemetry off and a
throwaway HOME, so a run talks to nothing but the database it judges.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

from spine_harness.config.paths import REPO_ROOT

VERSION_FILE = REPO_ROOT / "tools" / "supabase-cli.version"
INSTALLED_CLI = REPO_ROOT / ".tools" / "supabase-cli" / "node_modules" / ".bin" / "supabase"
QUIET_ENV = {"SUPABASE_NO_UPDATE_NOTIFIER": "1", "SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"}
# libpq connection parameters the CLI's driver reads from the environment instead of the URL.
_PG_ENV = {"password": "PGPASSWORD", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
           "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class AdvisorsFailed(RuntimeError):
    """The CLI ran but gave no answer; the message is one line, with no secret in it."""


def pinned_version() -> str:
    return VERSION_FILE.read_text().strip()


def _version_of(path: Path) -> str | None:
    try:
        with tempfile.TemporaryDirectory(prefix="spine-supabase-home-") as home:
            out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30,
                                 env=_env(home))
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@functools.cache
def locate() -> tuple[Path | None, str]:
    """The pinned CLI, or None and why not in one line (what to install)."""
    if not (shutil.which("node") or Path("/usr/bin/node").exists()):
        return None, "the Supabase CLI needs node, which is not installed (run `make setup`)"
    want = pinned_version()
    candidates = [INSTALLED_CLI] + ([Path(p)] if (p := shutil.which("supabase")) else [])
    for path in candidates:
        if path.exists():
            got = _version_of(path)
            if got == want:
                return path, ""
    return None, f"the Supabase CLI {want} is not installed (run `make setup`, or tools/install-supabase-cli.sh)"


def platform_binary() -> Path | None:
    """The platform package's binary (where the bundled lint SQL lives) behind the launcher."""
    hits = sorted((INSTALLED_CLI.parents[1] / "@supabase").glob("cli-*/bin/supabase"))
    return hits[0] if hits else None


def unavailable_reason() -> str | None:
    return locate()[1] or None


def _env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    return {**keep, **QUIET_ENV, "HOME": home, **(extra or {})}


def url_and_env(dsn: str, schemas: list[str]) -> tuple[str, dict[str, str]]:
    """A percent-encoded URL without the password, and the variables that carry the rest.
    `pgrst.db_schemas` rides in the startup options: the lints scope to the schemas PostgREST
    exposes through that setting, which the image sets for PostgREST's role, not for ours."""
    p = psycopg.conninfo.conninfo_to_dict(dsn)
    host = p.get("host") or "localhost"
    host_part = f"[{host}]" if ":" in host else quote(host, safe="")
    user = quote(p.get("user") or "postgres", safe="")
    port = p.get("port") or "5432"
    dbname = quote(p.get("dbname") or "postgres", safe="")
    sslmode = p.get("sslmode") or ("disable" if host in _LOOPBACK else "prefer")
    options = quote(f"-c pgrst.db_schemas={','.join(schemas)}", safe="")
    url = f"postgresql://{user}@{host_part}:{port}/{dbname}?sslmode={quote(sslmode)}&options={options}"
    env = {var: str(p[key]) for key, var in _PG_ENV.items() if p.get(key)}
    return url, env


@dataclasses.dataclass(frozen=True)
class Finding:
    name: str
    level: str                  # ERROR, WARN or INFO
    categories: tuple[str, ...]
    detail: str
    remediation: str
    metadata: dict
    cache_key: str

    @property
    def object(self) -> str:
        m = self.metadata or {}
        return ".".join(x for x in (m.get("schema"), m.get("name")) if x) or self.cache_key

    def line(self) -> str:
        return f"{self.level} {self.name} on {self.object}: {self.detail} ({self.remediation})"


@dataclasses.dataclass(frozen=True)
class AdvisorsRun:
    findings: tuple[Finding, ...]
    seconds: float
    version: str


def run(dsn: str, schemas: list[str], timeout: float = 120) -> AdvisorsRun:
    """`supabase db advisors --type all --level info` against `dsn`, parsed."""
    path, why = locate()
    if path is None:
        raise AdvisorsFailed(why)
    url, pg_env = url_and_env(dsn, schemas)
    secrets = [v for v in pg_env.values() if v]
    cmd = [str(path), "db", "advisors", "--db-url", url, "--type", "all", "--level", "info",
           "--fail-on", "none", "--output-format", "json"]
    with tempfile.TemporaryDirectory(prefix="spine-supabase-home-") as home:
        t0 = time.perf_counter()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=home,
                                 env=_env(home, pg_env))
        except subprocess.TimeoutExpired:
            raise AdvisorsFailed(f"`supabase db advisors` gave no answer within {timeout:.0f} s") from None
        seconds = time.perf_counter() - t0
    return AdvisorsRun(parse(out.stdout, out.returncode, secrets), seconds, pinned_version())


def _scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        text = text.replace(s, "****")
    return " ".join(text.split())[:300]


def parse(stdout: str, returncode: int = 0, secrets: list[str] | None = None) -> tuple[Finding, ...]:
    try:
        data = json.loads(stdout)
    except ValueError:
        raise AdvisorsFailed(f"`supabase db advisors` exited {returncode} without JSON: "
                             f"{_scrub(stdout, secrets or []) or 'no output'}") from None
    if not isinstance(data, dict) or "results" not in data:
        err = data.get("error", {}) if isinstance(data, dict) else {}
        msg = err.get("message") if isinstance(err, dict) else None
        raise AdvisorsFailed(f"`supabase db advisors` failed: {_scrub(str(msg or data), secrets or [])}")
    return tuple(Finding(r["name"], r["level"], tuple(r.get("categories") or ()), r.get("detail", ""),
                         r.get("remediation", ""), r.get("metadata") or {}, r.get("cacheKey", ""))
                 for r in data["results"])
