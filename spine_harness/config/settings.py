"""The one configuration of a run, resolved once: command line over environment over default.

pytest (the plugin), every `python -m spine_harness` command and the locustfile build a
`Settings` with `Settings.resolve(...)`; nothing else reads a SPINE_* variable. A child process
(a canary's inner run, the gate's conformance run, a Locust run) receives the settings one way
only: as SPINE_* variables made by `child_environment()`, from which it resolves them again.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spine_harness.config.paths import REPO_ROOT, STACK_DIR

TARGET_NAMES = ("local", "compose", "remote")
KEY_MODELS = ("legacy", "asymmetric")

# The remote target's endpoints, each from its own variable (see spine_harness.targets.remote).
REMOTE_VARIABLES = ("SPINE_DB_URL", "SPINE_POOLER_URL", "SPINE_API_DB_URL", "SPINE_GATEWAY_URL",
                    "SPINE_EDGE_URL", "SPINE_JWT_SECRET", "SPINE_ANON_KEY", "SPINE_SERVICE_ROLE_KEY",
                    "SPINE_PUBLISHABLE_KEY", "SPINE_SECRET_KEY")


class SettingsError(ValueError):
    """A value the user gave is not usable; the message is one line naming the option or variable."""


@dataclasses.dataclass(frozen=True)
class Field:
    """One setting: its option spelling, its variable, and how its text becomes a value."""

    name: str
    option: str
    variable: str
    kind: str                 # "target", "key_model", "path", "flag", "text" or "secret"
    help: str


FIELDS = (
    Field("target", "--spine-target", "SPINE_TARGET", "target",
          "where the suites run: local (default), compose or remote"),
    Field("attach", "--spine-attach", "SPINE_ATTACH", "path",
          "use servers another process started (the JSON file `python -m spine_harness up` writes)"),
    Field("strict", "--spine-strict", "SPINE_STRICT", "flag",
          "a test skipped for a missing capability fails unless the target declares the lack (the gate's mode)"),
    Field("allow_writes", "--spine-allow-writes", "SPINE_ALLOW_WRITES", "flag",
          "let the suites write their own marked rows on a remote target (and remove them)"),
    Field("stack_dir", "--spine-stack-dir", "SPINE_STACK_DIR", "path",
          "the stack definition under test (default: the repository's stack/)"),
    Field("reports_dir", "--spine-reports", "SPINE_REPORTS", "path",
          "where results records and reports go (default: reports/)"),
    Field("memory_limits", "--spine-memory-limits", "SPINE_MEMORY_LIMITS", "flag",
          "local target: run Postgres and PgBouncer in memory cgroups at their compose limits (db, supavisor)"),
    Field("mfa_keyring", "--spine-mfa-keyring", "SPINE_MFA_KEYRING", "secret",
          "the MFA keyring, `version:base64` pairs of 32-byte keys (default: a fresh key per run)"),
    Field("mfa_key_version", "--spine-mfa-key-version", "SPINE_MFA_KEY_VERSION", "text",
          "the keyring version new secrets are sealed with (default: the highest)"),
    Field("mfa_implementation", "--spine-mfa-implementation", "SPINE_MFA_IMPLEMENTATION", "text",
          "the MFA implementation under test, as module:attribute (default: the reference)"),
    Field("key_model", "--spine-key-model", "SPINE_KEY_MODEL", "key_model",
          "the key model the local target and a generated .env use: legacy (HS256 only, default) "
          "or asymmetric (an ES256 signing key, its JWKS, opaque API keys)"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


def _flag(field: Field, text: str) -> bool:
    if text == "1":
        return True
    if text in ("", "0"):
        return False
    raise SettingsError(f"{field.variable} must be 1 or 0, not {text!r}")


def _parse(field: Field, raw: Any, source: str) -> Any:
    if raw is None:
        return None
    if field.kind == "flag":
        return raw if isinstance(raw, bool) else _flag(field, str(raw).strip())
    text = str(raw).strip()
    if field.kind == "target":
        if text not in TARGET_NAMES:
            raise SettingsError(f"{source} {text!r} is not a target: use one of {', '.join(TARGET_NAMES)}")
        return text
    if field.kind == "key_model":
        if text not in KEY_MODELS:
            raise SettingsError(f"{source} {text!r} is not a key model: use one of {', '.join(KEY_MODELS)}")
        return text
    if field.kind == "path":
        return Path(text).expanduser() if text else None
    return text or None


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a run is told. Secret values are left out of repr."""

    target: str = "local"
    attach: Path | None = None
    strict: bool = False
    allow_writes: bool = False
    stack_dir: Path = STACK_DIR
    reports_dir: Path = REPO_ROOT / "reports"
    memory_limits: bool = False
    mfa_keyring: str | None = dataclasses.field(default=None, repr=False)
    mfa_key_version: str | None = None
    mfa_implementation: str | None = None
    key_model: str = "legacy"
    # SPINE_DB_URL and the other remote endpoints, as given (they hold passwords and keys).
    remote: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def resolve(cls, cli: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> "Settings":
        """Command line (`cli`, keyed by field name; None means not given) over the environment
        over the defaults. A bad value raises SettingsError with one line."""
        cli = cli or {}
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in FIELDS:
            given = cli.get(f.name)
            if given is not None and given is not False:
                values[f.name] = _parse(f, given, f.option)
            elif environ.get(f.variable):
                values[f.name] = _parse(f, environ[f.variable], f.variable)
        values = {k: v for k, v in values.items() if v is not None}
        remote = {name: environ[name] for name in REMOTE_VARIABLES if environ.get(name)}
        return cls(**values, remote=remote)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def as_environment(self) -> dict[str, str]:
        """These settings as the SPINE_* variables a child process resolves them from."""
        env: dict[str, str] = {}
        defaults = Settings()
        for f in FIELDS:
            value = getattr(self, f.name)
            if value is None or (value == getattr(defaults, f.name) and f.name != "target"):
                continue
            env[f.variable] = ("1" if value else "0") if f.kind == "flag" else str(value)
        return env | dict(self.remote)

    def secrets(self) -> set[str]:
        """The secret values these settings carry (for the output mask)."""
        from spine_harness.runs.redaction import secrets_in_values
        return secrets_in_values([self.mfa_keyring, *self.remote.values()])


# Variables of other tools that must not leak from the parent into a child run.
_FOREIGN_PREFIXES = ("LOCUST_", "PYTEST_ADDOPTS")


def child_environment(settings: Settings, base: Mapping[str, str] | None = None,
                      extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process: the parent's, less every SPINE_* and LOCUST_*
    variable, plus exactly these settings. The one channel by which a child is configured."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith(("SPINE_", *_FOREIGN_PREFIXES))}
    return env | settings.as_environment() | dict(extra or {})
