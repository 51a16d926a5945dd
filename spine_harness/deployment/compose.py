"""stack/docker-compose.yml read into services with their images, memory, ports and mounts.

The file is loaded raw (to see which variables it references), then every string in it is
interpolated with an env file's values, as `docker compose` does, to build the model.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from spine_harness.deployment.interpolation import InterpolationError, Reference, interpolate, references

COMPOSE_FILE = "docker-compose.yml"
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "localhost")

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg])?b?\s*$", re.I)
_UNIT_BYTES = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
_PORT = re.compile(r"^(?:(?:\[(?P<ip6>[^\]]+)\]|(?P<ip>[^:\[\]]+)):)?(?:(?P<published>[\d-]*):)?"
                   r"(?P<target>\d+(?:-\d+)?)(?:/(?P<protocol>tcp|udp|sctp))?$")


class ComposeError(ValueError):
    """The file cannot be read as Compose; the message says where."""


def memory_mib(value: str | int) -> float:
    """Compose's byte strings (`8192M`, `2g`, `512mb`, or plain bytes) in MiB."""
    m = _MEMORY.match(str(value))
    if m is None:
        raise ComposeError(f"{value!r} is not a memory size (use e.g. 512M or 8G)")
    return float(m[1]) * _UNIT_BYTES[(m[2] or "b").lower()] / 1024 ** 2


@dataclasses.dataclass(frozen=True)
class PublishedPort:
    host_ip: str             # "" means every interface
    published: int | None    # None: Docker picks a random host port
    target: int
    protocol: str = "tcp"

    @property
    def on_loopback_only(self) -> bool:
        return self.host_ip in LOOPBACK_ADDRESSES

    def describe(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else (self.host_ip or "0.0.0.0")
        return f"{host}:{self.published}->{self.target}/{self.protocol}"


def parse_port(spec: str | int | dict) -> PublishedPort:
    if isinstance(spec, dict):
        published = spec.get("published")
        return PublishedPort(str(spec.get("host_ip") or ""), int(published) if published not in (None, "") else None,
                             int(spec["target"]), str(spec.get("protocol") or "tcp"))
    m = _PORT.match(str(spec).strip())
    if m is None or "-" in m["target"]:
        raise ComposeError(f"port {spec!r} is not HOST_IP:HOST_PORT:CONTAINER_PORT[/PROTOCOL]")
    ip = m["ip6"] or m["ip"] or ""
    if ip and m["published"] is None:   # "8000:8000" matched as ip=8000
        ip, published = "", ip
    else:
        published = m["published"]
    if published and not published.isdigit():
        raise ComposeError(f"port {spec!r}: host port {published!r} is not a number")
    host_ip = "" if ip in ("0.0.0.0", "::") else ip
    return PublishedPort(host_ip, int(published) if published else None, int(m["target"]), m["protocol"] or "tcp")


@dataclasses.dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool

    @property
    def is_bind(self) -> bool:
        return self.source.startswith((".", "/", "~"))


def parse_mount(spec: str | dict) -> Mount:
    if isinstance(spec, dict):
        return Mount(str(spec.get("source", "")), str(spec["target"]), bool(spec.get("read_only")))
    parts = str(spec).split(":")
    if len(parts) == 1:
        return Mount("", parts[0], False)
    modes = parts[2].split(",") if len(parts) > 2 else []
    return Mount(parts[0], parts[1], "ro" in modes)


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    raw: dict

    @property
    def image(self) -> str:
        return str(self.raw.get("image") or "")

    @property
    def container_name(self) -> str | None:
        return self.raw.get("container_name")

    @property
    def hostnames(self) -> set[str]:
        """Names other containers reach it by on the compose network."""
        return {self.name} | ({self.container_name} if self.container_name else set())

    def _memory(self, kind: str) -> float | None:
        value = (((self.raw.get("deploy") or {}).get("resources") or {}).get(kind) or {}).get("memory")
        return None if value in (None, "") else memory_mib(value)

    @property
    def memory_limit_mib(self) -> float | None:
        return self._memory("limits")

    @property
    def memory_reservation_mib(self) -> float | None:
        return self._memory("reservations")

    @property
    def ports(self) -> list[PublishedPort]:
        return [parse_port(p) for p in self.raw.get("ports") or []]

    @property
    def mounts(self) -> list[Mount]:
        return [parse_mount(v) for v in self.raw.get("volumes") or []]

    @property
    def depends_on(self) -> dict[str, str]:
        """Dependency -> condition (the short list form means service_started)."""
        deps = self.raw.get("depends_on") or {}
        if isinstance(deps, list):
            return {d: "service_started" for d in deps}
        return {d: (c or {}).get("condition", "service_started") for d, c in deps.items()}

    @property
    def environment(self) -> dict[str, str]:
        env = self.raw.get("environment") or {}
        if isinstance(env, list):
            return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {k: "" if v is None else str(v) for k, v in env.items()}

    @property
    def command(self) -> list[str]:
        cmd = self.raw.get("command") or []
        return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


@dataclasses.dataclass(frozen=True)
class ComposeFile:
    path: Path
    text: str
    raw: dict              # as written, variables not substituted
    resolved: dict         # interpolated with the env it was loaded with

    @property
    def services(self) -> dict[str, Service]:
        return {name: Service(name, svc or {}) for name, svc in (self.resolved.get("services") or {}).items()}

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise ComposeError(f"{self.path.name} has no service {name!r}") from None

    def references(self) -> list[Reference]:
        """Variable references in the file's values (Compose does not interpolate comments)."""
        return [r for s in _strings(self.raw) for r in references(s)]

    def variables(self) -> set[str]:
        return {r.name for r in self.references()}

    def required_variables(self) -> set[str]:
        return {r.name for r in self.references() if r.required}


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for n in node:
            yield from _strings(n)
    elif isinstance(node, dict):
        for n in node.values():
            yield from _strings(n)


def _interpolate_tree(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(n, env) for n in node]
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, env) for k, v in node.items()}
    return node


def load(stack_dir: Path, env: dict[str, str] | None = None) -> ComposeFile:
    path = Path(stack_dir) / COMPOSE_FILE
    text = path.read_text()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ComposeError(f"{path.name} is not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ComposeError(f"{path.name} is not a mapping of Compose sections")
    try:
        resolved = _interpolate_tree(raw, env or {})
    except InterpolationError as exc:
        raise ComposeError(f"{path.name}: {exc}") from None
    return ComposeFile(path, text, raw, resolved)
