"""Is stack/docker-compose.yml a Compose file `docker compose` will accept?

There is no Docker on CI, so the structural rules of the Compose specification that this
stack relies on are checked here: known keys, values of the right kind, references that
resolve. Each problem is one line naming the service and the key.
"""
from __future__ import annotations

import re

from spine_harness.deployment.compose import ComposeError, ComposeFile, memory_mib, parse_mount, parse_port

TOP_LEVEL_KEYS = {"version", "name", "services", "networks", "volumes", "configs", "secrets", "include"}
SERVICE_KEYS = {
    "image", "build", "container_name", "command", "entrypoint", "environment", "env_file", "ports", "expose",
    "volumes", "depends_on", "healthcheck", "restart", "deploy", "networks", "labels", "logging", "user",
    "working_dir", "security_opt", "cap_add", "cap_drop", "ulimits", "stop_grace_period", "stop_signal",
    "extra_hosts", "hostname", "tmpfs", "shm_size", "read_only", "init", "profiles", "sysctls", "mem_limit",
    "mem_reservation", "cpus", "pull_policy", "tty", "stdin_open", "privileged", "userns_mode", "platform",
    "network_mode", "pid", "ipc", "devices",
}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTART_POLICIES = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")


def problems(compose: ComposeFile) -> list[str]:
    found: list[str] = []
    raw = compose.resolved
    for key in raw:
        if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-"):
            found.append(f"top level: unknown key {key!r}")
    services = raw.get("services")
    if not isinstance(services, dict) or not services:
        return found + ["services: missing or empty"]
    named_volumes = set((raw.get("volumes") or {}).keys())
    for name, svc in services.items():
        found += [f"services.{name}: {p}" for p in _service_problems(name, svc or {}, set(services), named_volumes)]
    return found


def _service_problems(name: str, svc: dict, services: set[str], named_volumes: set[str]) -> list[str]:
    found = [f"unknown key {k!r}" for k in svc if k not in SERVICE_KEYS and not str(k).startswith("x-")]
    if not svc.get("image") and not svc.get("build"):
        found.append("neither image nor build")
    if "restart" in svc and not RESTART_POLICIES.match(str(svc["restart"])):
        found.append(f"restart {svc['restart']!r} is not no, always, unless-stopped or on-failure[:N]")
    found += _healthcheck_problems(svc.get("healthcheck"))
    deps = svc.get("depends_on") or {}
    for dep, spec in (deps.items() if isinstance(deps, dict) else ((d, None) for d in deps)):
        if dep not in services:
            found.append(f"depends_on {dep!r}: no such service")
        if isinstance(spec, dict) and spec.get("condition", "service_started") not in DEPENDS_CONDITIONS:
            found.append(f"depends_on {dep!r}: condition {spec.get('condition')!r} is not one of "
                         f"{', '.join(sorted(DEPENDS_CONDITIONS))}")
    for spec in svc.get("ports") or []:
        try:
            parse_port(spec)
        except (ComposeError, KeyError, ValueError) as exc:
            found.append(f"ports: {exc}")
    for spec in svc.get("volumes") or []:
        mount = parse_mount(spec)
        if not mount.target.startswith("/"):
            found.append(f"volumes: {spec!r} does not mount at an absolute path")
        elif mount.source and not mount.is_bind and mount.source not in named_volumes:
            found.append(f"volumes: named volume {mount.source!r} is not declared under top-level volumes")
    resources = (svc.get("deploy") or {}).get("resources") or {}
    for kind in ("limits", "reservations"):
        value = (resources.get(kind) or {}).get("memory")
        if value not in (None, ""):
            try:
                memory_mib(value)
            except ComposeError as exc:
                found.append(f"deploy.resources.{kind}.memory: {exc}")
    env = svc.get("environment")
    if env is not None and not isinstance(env, (dict, list)):
        found.append("environment is neither a mapping nor a list")
    return found


def _healthcheck_problems(check) -> list[str]:
    if check is None:
        return []
    if not isinstance(check, dict):
        return ["healthcheck is not a mapping"]
    found = [f"healthcheck: unknown key {k!r}" for k in check if k not in HEALTHCHECK_KEYS]
    test = check.get("test")
    if isinstance(test, list) and (not test or test[0] not in ("CMD", "CMD-SHELL", "NONE")):
        found.append("healthcheck.test: a list must start with CMD, CMD-SHELL or NONE")
    elif test is not None and not isinstance(test, (list, str)):
        found.append("healthcheck.test is neither a list nor a string")
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if key in check and not DURATION.match(str(check[key])):
            found.append(f"healthcheck.{key} {check[key]!r} is not a duration like 5s or 1m30s")
    if "retries" in check and not str(check["retries"]).isdigit():
        found.append(f"healthcheck.retries {check['retries']!r} is not a whole number")
    return found
