"""nginx's own view of its configuration: the `nginx -T` dump (every file nginx read, as it read
it), parsed into blocks with includes resolved, and the value a directive has in one location
after nginx's inheritance (location, else server, else http, else nginx's default)."""
from __future__ import annotations

import dataclasses
import fnmatch
import re
from pathlib import Path

_FILE_HEADER = re.compile(r"^# configuration file (.+):$", re.M)
_TOKEN = re.compile(r"""\s*(?:#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"']+))""")
_TIME_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}


@dataclasses.dataclass
class Directive:
    name: str
    args: list[str]
    block: list["Directive"] | None = None


def dumped_files(dump: str) -> dict[str, str]:
    """`nginx -T` output -> {path: content}."""
    parts = _FILE_HEADER.split(dump)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _tokens(text: str) -> list[str]:
    out = []
    for m in _TOKEN.finditer(text):
        double, single, punct, word = m.groups()
        value = next((g for g in (double, single, punct, word) if g is not None), None)
        if value is not None:
            out.append(value)
    return out


def parse(dump: str, main: str) -> list[Directive]:
    """The directives of `main` with every `include` replaced by what it includes."""
    files = dumped_files(dump)
    prefix = Path(main).parent

    def included(pattern: str) -> list[str]:
        full = str(Path(pattern) if Path(pattern).is_absolute() else prefix / pattern)
        return sorted(p for p in files if fnmatch.fnmatch(p, full))

    def block(tokens: list[str], pos: int) -> tuple[list[Directive], int]:
        items: list[Directive] = []
        words: list[str] = []
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok == ";":
                if words[0] == "include":
                    for path in included(words[1]):
                        items += block(_tokens(files[path]), 0)[0]
                else:
                    items.append(Directive(words[0], words[1:]))
                words = []
            elif tok == "{":
                children, pos = block(tokens, pos)
                items.append(Directive(words[0], words[1:], children))
                words = []
            elif tok == "}":
                return items, pos
            else:
                words.append(tok)
        return items, pos

    return block(_tokens(files[main]), 0)[0]


def parse_site(text: str, path: str = "site.conf") -> list[Directive]:
    """One file on its own (the stack's site as committed): includes of files it does not
    carry (the host's spine-edge/) are left out, so a location is read as the file writes it."""
    return parse(f"# configuration file {path}:\n{text}", path)


def value_in_location(tree: list[Directive], name: str, location: str) -> list[str] | None:
    """The arguments of `name` in effect in `location` of the server that defines it, or None
    when nothing sets it (nginx's default applies)."""
    for http in (d for d in tree if d.name == "http"):
        for server in (d for d in http.block if d.name == "server"):
            for loc in (d for d in server.block if d.name == "location" and d.args[-1:] == [location]):
                for scope in (loc.block, server.block, http.block):
                    found = [d.args for d in scope if d.name == name]
                    if found:
                        return found[-1]
                return None
    raise LookupError(f"no `location {location}` in any server of the configuration")


def seconds(value: str) -> float:
    """An nginx time ("75", "90s", "1h", "1h30m") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|[smhdwMy]?)", value):
        total += int(number) * _TIME_UNITS[unit or "s"]
    return total
