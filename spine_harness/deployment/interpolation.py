"""Compose's variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`).

Written out because the static suite must read the compose file without Docker, and must know
which variables a file needs and which of them Compose itself will refuse to run without.
"""
from __future__ import annotations

import dataclasses
import re

# ${NAME}, ${NAME<op>word} with op one of :- - :? ? :+ +, $NAME, and the $$ escape.
_TOKEN = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\{))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?|:\+|\+)(?P<word>.*))?$", re.S)


class InterpolationError(ValueError):
    """A malformed `${...}`, or a required variable that is unset; names the variable."""


@dataclasses.dataclass(frozen=True)
class Reference:
    name: str
    op: str | None          # None for a bare ${NAME} / $NAME
    word: str

    @property
    def required(self) -> bool:
        """Compose refuses to start when this variable is unset or empty (`${VAR:?why}`)."""
        return self.op in (":?", "?")


def references(text: str) -> list[Reference]:
    """Every variable reference in `text`, in order; raises on malformed syntax."""
    refs = []
    for m in _TOKEN.finditer(text):
        if m["bad"] is not None:
            raise InterpolationError(f"unterminated '${{' near {text[m.start():m.start() + 30]!r}")
        if m["escaped"]:
            continue
        if m["plain"]:
            refs.append(Reference(m["plain"], None, ""))
            continue
        b = _BRACED.match(m["braced"])
        if b is None:
            raise InterpolationError(f"invalid variable reference '${{{m['braced']}}}'")
        refs.append(Reference(b["name"], b["op"], b["word"] or ""))
        if b["op"] in (":-", "-") and b["word"]:
            refs.extend(references(b["word"]))   # a default may name another variable
    return refs


def interpolate(text: str, env: dict[str, str], *, strict: bool = False) -> str:
    """Substitute as Compose does. With strict=False a required variable that is unset becomes
    empty instead of an error, so a definition can be read before its secrets exist."""
    def substitute(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        if m["bad"] is not None:
            raise InterpolationError(f"unterminated '${{' near {text[m.start():m.start() + 30]!r}")
        if m["plain"]:
            return env.get(m["plain"], "")
        b = _BRACED.match(m["braced"])
        if b is None:
            raise InterpolationError(f"invalid variable reference '${{{m['braced']}}}'")
        name, op, word = b["name"], b["op"], b["word"] or ""
        value = env.get(name)
        empty = not value
        if op == ":-":
            return interpolate(word, env, strict=strict) if empty else value
        if op == "-":
            return interpolate(word, env, strict=strict) if value is None else value
        if op == ":+":
            return "" if empty else word
        if op == "+":
            return "" if value is None else word
        if op in (":?", "?") and (value is None if op == "?" else empty):
            if strict:
                raise InterpolationError(f"{name} is required: {word or 'set it in .env'}")
            return ""
        return value or ""
    return _TOKEN.sub(substitute, text)
