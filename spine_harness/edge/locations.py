"""The locations of the edge's site, as nginx reads them, so the edge suite probes each one.

A location's behaviour is what it sets plus what it inherits, and nginx's inheritance has a trap:
list directives (add_header, proxy_set_header) are inherited only by a block that sets none of
its own, so one add_header in a location drops the server's HSTS there. `effective` follows
that rule. `probe_path` finds, for each location, a request path nginx would hand to it (by
nginx's own choice: an exact match, else the longest prefix, regexes aside), and `normalised`
is the path an nginx-based upstream (Kong is OpenResty) acts on once it has decoded, merged
slashes and removed dot segments: a request that arrives normalised to another path than it was
sent with has escaped the location nginx judged it by.
"""
from __future__ import annotations

import dataclasses
import re
import urllib.parse

from spine_harness.edge.nginx_config import Directive

LIST_DIRECTIVES = frozenset({"add_header", "proxy_set_header"})
PROBE_SEGMENT = "spine-probe"
DEFAULT_BODY_LIMIT = "1m"                  # nginx's client_max_body_size when nothing sets it
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


@dataclasses.dataclass(frozen=True)
class Location:
    modifier: str                           # "", "=", "^~", "~" or "~*"
    path: str
    block: tuple[Directive, ...] = dataclasses.field(repr=False, compare=False)
    parents: tuple[tuple[Directive, ...], ...] = dataclasses.field(repr=False, compare=False)   # inner first
    server_names: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.modifier}{self.path}" if self.modifier else self.path

    @property
    def is_regex(self) -> bool:
        return self.modifier in ("~", "~*")

    def own(self, name: str) -> list[list[str]]:
        return [d.args for d in self.block if d.name == name]

    def effective(self, name: str) -> list[list[str]]:
        """What `name` is in this location: its own, else the nearest enclosing block's (every
        occurrence of a list directive, the last one of any other)."""
        for scope in (self.block, *self.parents):
            found = [d.args for d in scope if d.name == name]
            if found:
                return found if name in LIST_DIRECTIVES else found[-1:]
        return []

    def header_set(self, directive: str, header: str) -> str | None:
        """The value `directive` (add_header, proxy_set_header) gives `header` here, or None."""
        for args in self.effective(directive):
            if args and args[0].lower() == header.lower():
                return " ".join(args[1:])
        return None

    @property
    def body_limit(self) -> str:
        found = self.effective("client_max_body_size")
        return found[0][0] if found else DEFAULT_BODY_LIMIT


def size_bytes(value: str) -> int:
    """An nginx size ("10m", "512k", "0") in bytes."""
    m = re.fullmatch(r"(\d+)([kmg]?)", value.strip().lower())
    if not m:
        raise ValueError(f"not an nginx size: {value!r}")
    return int(m.group(1)) * _SIZE_UNITS[m.group(2)]


def _servers(tree: list[Directive]) -> list[tuple[Directive, tuple[tuple[Directive, ...], ...]]]:
    """Every server block with the blocks around it (http, if any), inner first."""
    found = []
    for d in tree:
        if d.name == "server" and d.block is not None:
            found.append((d, ()))
        elif d.name == "http" and d.block is not None:
            found += [(s, (tuple(d.block),)) for s, _ in _servers(d.block)]
    return found


def _locations_in(block: list[Directive], parents: tuple, names: tuple[str, ...]) -> list[Location]:
    out = []
    for d in block:
        if d.name == "location" and d.block is not None:
            modifier, path = (d.args[0], d.args[1]) if len(d.args) == 2 else ("", d.args[0])
            loc = Location(modifier, path, tuple(d.block), parents, names)
            out.append(loc)
            out += _locations_in(d.block, (tuple(d.block), *parents), names)
    return out


def site_locations(tree: list[Directive]) -> list[Location]:
    """Every location of every server that has any, nested ones included."""
    out = []
    for server, around in _servers(tree):
        names = tuple(a for d in server.block if d.name == "server_name" for a in d.args)
        out += _locations_in(server.block, (tuple(server.block), *around), names)
    return out


def redirecting_servers(tree: list[Directive]) -> list[list[str]]:
    """The `return 3xx <url>` of each server that answers everything with a redirect."""
    return [d.args for server, _ in _servers(tree) for d in server.block
            if d.name == "return" and d.args and d.args[0] in ("301", "302", "303", "307", "308")]


def chosen(path: str, locations: list[Location]) -> Location | None:
    """The location nginx picks for a normalised path, leaving regex locations out (a path the
    suite builds for a prefix location is checked against them separately)."""
    exact = [loc for loc in locations if loc.modifier == "=" and loc.path == path]
    if exact:
        return exact[0]
    prefixes = [loc for loc in locations if loc.modifier in ("", "^~") and path.startswith(loc.path)]
    return max(prefixes, key=lambda loc: len(loc.path), default=None)


def probe_path(location: Location, locations: list[Location]) -> str | None:
    """A path that reaches `location` and no other, or None (a regex location: no path can be
    derived from it without guessing)."""
    if location.is_regex:
        return None
    if location.modifier == "=":
        return location.path
    path = location.path + ("" if location.path.endswith("/") else "/") + PROBE_SEGMENT
    regexes = [loc for loc in locations if loc.is_regex]
    flags = {"~": 0, "~*": re.IGNORECASE}
    if location.modifier != "^~" and any(re.search(r.path, path, flags[r.modifier]) for r in regexes):
        return None
    return path if chosen(path, locations) == location else None


def normalised(target: str) -> str | None:
    """The path an nginx-based server acts on for a request target: decoded, slashes merged, dot
    segments removed; None where it would refuse the request (above the root, not a path)."""
    path = urllib.parse.urlsplit(target).path if "://" in target[:12] else target.split("?", 1)[0]
    path = urllib.parse.unquote(path)
    if not path.startswith("/"):
        return None
    out: list[str] = []
    for segment in re.sub("/+", "/", path).split("/")[1:]:
        if segment == "..":
            if not out:
                return None
            out.pop()
        elif segment not in (".", ""):
            out.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) and out
    return "/" + "/".join(out) + ("/" if trailing else "")


def path_variants(location: Location) -> dict[str, str]:
    """Request targets that start inside `location` and try to leave it: dot segments plain and
    encoded, encoded slashes, doubled slashes, and the off-by-slash form (`/api../`) that escapes
    a location whose proxy_pass adds a slash the location lacks."""
    base = location.path if not location.is_regex and location.modifier != "=" else None
    if base is None:
        return {}
    stem = base.rstrip("/")
    variants = {
        "plain": f"{stem}/{PROBE_SEGMENT}?q=1",
        "dot-segments": f"{stem}/../pg/{PROBE_SEGMENT}",
        "off-by-slash": f"{stem}../pg/{PROBE_SEGMENT}",
        "encoded-dots": f"{stem}/%2e%2e/pg/{PROBE_SEGMENT}",
        "encoded-slashes": f"{stem}/..%2Fpg%2F{PROBE_SEGMENT}",
        "double-slash": f"{stem}//{PROBE_SEGMENT}//x",
        "leading-double-slash": f"/{stem}/{PROBE_SEGMENT}",
    }
    return {name: target for name, target in variants.items() if target.startswith("/")}
