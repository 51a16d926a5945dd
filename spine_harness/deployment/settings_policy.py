"""The settings policy (stack/settings-policy.yaml): for every service of the stack, every setting
that matters for safety or capacity, with the rule its value must satisfy and why.

One rule vocabulary serves every source a value comes from: a service's `environment:` (after
Compose interpolation), what its container is given (privileged, capabilities, mounts...),
Postgres' own configuration, and what a running target reports (pg_settings, PgBouncer's
SHOW CONFIG). A value is a string, or None when the setting is not there at all.

Messages name the setting and quote the value, except for a `secret` rule, whose value is never
shown (the secrets suite judges those).
"""
from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import yaml

from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import deployment_env, pgconf
from spine_harness.deployment.compose import Service
from spine_harness.deployment.interpolation import references

POLICY_FILE = STACK_DIR / "settings-policy.yaml"
RULE_KEYS = {"why", "equals", "one_of", "subset_of", "flag", "min", "max", "unit", "pattern", "unset",
             "secret", "free", "optional", "live", "reported_as"}
_TRUE, _FALSE = {"on", "true", "yes", "1"}, {"off", "false", "no", "0"}
# Units a number may carry, in the unit a rule counts in (Postgres' own time and memory units).
_UNITS = {"ms": {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000},
          "s": {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400},
          "kB": {"B": 1 / 1024, "kB": 1, "8kB": 8, "MB": 1024, "GB": 1024 ** 2, "TB": 1024 ** 3}}
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z0-9]*)\s*$")
DOCKER_SOCKET = "docker.sock"
# The .env variables that hold secrets: what generate-secrets writes, and the mail password.
SECRET_VARIABLES = frozenset(deployment_env.GENERATED) | {"SMTP_PASS"}


class PolicyError(ValueError):
    """The policy file itself is malformed; the message names the entry."""


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    why: str
    spec: dict

    @property
    def optional(self) -> bool:
        return bool(self.spec.get("optional") or self.spec.get("unset"))

    @property
    def secret(self) -> bool:
        return bool(self.spec.get("secret"))

    @property
    def live(self) -> bool:
        """Whether a running target's reported value is judged too (paths differ per target)."""
        return self.spec.get("live", True) is not False

    @property
    def reported_as(self) -> dict[str, str]:
        return dict(self.spec.get("reported_as") or {})

    def _show(self, value: str) -> str:
        return "(secret)" if self.secret else repr(value)

    def problem(self, value: str | None, raw: str | None = None) -> str | None:
        """Why `value` breaks the rule, or None. `raw` is the value as written before
        interpolation, where the rule cares (a secret must come from a variable)."""
        s = self.spec
        if s.get("unset"):
            return None if value in (None, "", "false") else f"{self.name} is set to {self._show(value)}; it must be unset"
        if value is None:
            return None if self.optional else f"{self.name} is not set"
        if s.get("secret"):
            if raw is not None and not any(r.name in SECRET_VARIABLES for r in references(raw)):
                return (f"{self.name} does not take its secret from .env; it must reference one of "
                        f"{', '.join(sorted(SECRET_VARIABLES))}")
            return None
        if s.get("free"):
            return None
        if "equals" in s and value != str(s["equals"]):
            return f"{self.name} is {value!r}; it must be {str(s['equals'])!r}"
        if "one_of" in s and value not in [str(v) for v in s["one_of"]]:
            return f"{self.name} is {value!r}; allowed: {', '.join(map(str, s['one_of']))}"
        if "subset_of" in s:
            allowed = {str(v) for v in s["subset_of"]}
            extra = [item for item in _items(value) if item not in allowed]
            if extra:
                return f"{self.name} includes {', '.join(extra)}; allowed: {', '.join(map(str, s['subset_of']))}"
        if "flag" in s:
            want = bool(s["flag"])
            got = value.strip().lower()
            if got not in _TRUE | _FALSE:
                return f"{self.name} is {value!r}, not a boolean"
            if (got in _TRUE) != want:
                return f"{self.name} is {value!r}; it must be {'on' if want else 'off'}"
        if "min" in s or "max" in s:
            number = _number(value, s.get("unit"))
            if number is None:
                return f"{self.name} is {value!r}, not a number{' of ' + s['unit'] if s.get('unit') else ''}"
            unit = f" {s['unit']}" if s.get("unit") else ""
            if "min" in s and number < float(s["min"]):
                return f"{self.name} is {value!r}; it must be at least {s['min']}{unit}"
            if "max" in s and number > float(s["max"]):
                return f"{self.name} is {value!r}; it must be at most {s['max']}{unit}"
        if "pattern" in s and re.fullmatch(s["pattern"], value, re.S) is None:
            return f"{self.name} is {self._show(value)}; it must match {s['pattern']}"
        return None


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _number(value: str, unit: str | None) -> float | None:
    m = _NUMBER.match(value)
    if m is None:
        return None
    number, suffix = float(m[1]), m[2]
    if not suffix:
        return number
    factor = _UNITS.get(unit or "", {}).get(suffix)
    return None if factor is None else number * factor


def pg_setting_value(setting: str, unit: str | None) -> str:
    """pg_settings' `setting` with its `unit` (e.g. '1280' and '8kB'), as one string a rule reads."""
    return f"{setting} {unit}" if unit and _NUMBER.match(setting) and not setting.startswith("-") else setting


def _rules(section: dict | None, where: str) -> dict[str, Rule]:
    rules = {}
    for name, spec in (section or {}).items():
        if not isinstance(spec, dict) or not spec.get("why"):
            raise PolicyError(f"{where}.{name}: a rule is a mapping with a `why`")
        unknown = set(spec) - RULE_KEYS
        if unknown:
            raise PolicyError(f"{where}.{name}: unknown rule keys {sorted(unknown)} (known: {sorted(RULE_KEYS)})")
        if "pattern" in spec:
            try:
                re.compile(spec["pattern"])
            except re.error as exc:
                raise PolicyError(f"{where}.{name}: pattern does not compile: {exc}") from None
        rules[str(name)] = Rule(str(name), str(spec["why"]), dict(spec))
    return rules


@dataclasses.dataclass(frozen=True)
class ServicePolicy:
    name: str
    environment: dict[str, Rule]
    container: dict[str, Rule]      # the defaults, with this service's overrides


@dataclasses.dataclass(frozen=True)
class Policy:
    services: dict[str, ServicePolicy]
    postgres: dict[str, Rule]       # postgresql.conf, image.conf and the db command's -c settings
    hba_methods: frozenset[str]

    def environment_cases(self) -> list[tuple[str, Rule]]:
        return [(s.name, r) for s in self.services.values() for r in s.environment.values()]

    def container_cases(self) -> list[tuple[str, Rule]]:
        return [(s.name, r) for s in self.services.values() for r in s.container.values()]

    def reported_by(self, source: str) -> list[tuple[str, Rule]]:
        """(service, rule) for every rule a running target reports through `source`."""
        return [(s, r) for s, r in self.environment_cases() if source in r.reported_as]


def parse(data: dict, source: str = "policy") -> Policy:
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise PolicyError(f"{source}: needs a `services:` mapping")
    defaults = _rules(data.get("containers"), "containers")
    services = {}
    for name, section in data["services"].items():
        section = section or {}
        unknown = set(section) - {"environment", "container"}
        if unknown:
            raise PolicyError(f"{source}: services.{name}: unknown sections {sorted(unknown)}")
        services[name] = ServicePolicy(name, _rules(section.get("environment"), f"services.{name}.environment"),
                                       defaults | _rules(section.get("container"), f"services.{name}.container"))
    postgres = data.get("postgres") or {}
    return Policy(services, _rules(postgres.get("settings"), "postgres.settings"),
                  frozenset(postgres.get("hba_methods") or ()))


@functools.cache
def load(path: Path = POLICY_FILE) -> Policy:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from None
    return parse(data, str(path))


# --- what a container is given, as settings ---------------------------------------------------------

def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)


def container_settings(service: Service) -> dict[str, str]:
    """The service's Compose keys as text, plus two derived ones the policy judges: whether the
    Docker socket is mounted (`none`, `ro` or `rw`) and which other host paths are mounted."""
    settings = {k: _as_text(v) for k, v in service.raw.items()}
    mounts = service.mounts
    socket = [m for m in mounts if DOCKER_SOCKET in m.source or DOCKER_SOCKET in m.target]
    settings["docker_socket"] = "none" if not socket else ("ro" if all(m.read_only for m in socket) else "rw")
    settings["host_paths"] = ",".join(m.source for m in mounts
                                      if m.source.startswith(("/", "~")) and m not in socket)
    return settings


def postgres_command_settings(service: Service) -> dict[str, str]:
    """`-c name=value` settings on the db service's command line (they override the file)."""
    cmd, found = service.command, {}
    for flag, arg in zip(cmd, cmd[1:]):
        if flag == "-c" and "=" in arg:
            name, value = arg.split("=", 1)
            if name != "config_file":
                found[name.strip().lower()] = value.strip()
    return found


IMAGE_CONF = Path("volumes") / "db" / "image.conf"
PG_HBA = Path("volumes") / "db" / "pg_hba.conf"


def postgres_sources(stack_dir: Path, db: Service) -> dict[str, dict[str, str]]:
    """Every place the stack gives Postgres a setting, by name: postgresql.conf, the image.conf
    it includes in the compose stack, and the db service's command line."""
    root = Path(stack_dir)
    sources = {str(pgconf.POSTGRESQL_CONF): pgconf.load(root)}
    if (root / IMAGE_CONF).exists():
        sources[str(IMAGE_CONF)] = pgconf.parse((root / IMAGE_CONF).read_text())
    sources["db command line"] = postgres_command_settings(db)
    return sources


def hba_methods(stack_dir: Path) -> list[tuple[int, str]]:
    """(line number, method) for every rule of the stack's pg_hba.conf."""
    found = []
    for n, line in enumerate((Path(stack_dir) / PG_HBA).read_text().splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        # local DATABASE USER METHOD [options]; host* DATABASE USER ADDRESS [MASK] METHOD [options]
        rest = fields[3:] if fields[0] == "local" else fields[4:]
        if fields[0] != "local" and rest and _looks_like_mask(rest[0]):
            rest = rest[1:]
        found.append((n, rest[0] if rest else "(none)"))
    return found


def _looks_like_mask(field: str) -> bool:
    return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", field))
