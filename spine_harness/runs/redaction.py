"""Keeping secrets out of everything the harness prints and writes: one mask, one registry.

Every entry point (the pytest plugin, `python -m spine_harness`, the locustfile) registers the
secrets its run knows (passwords inside DSNs and URLs, the JWT secret, the API keys, the MFA
keyring) with `MASKER` as soon as it knows them, and routes its output through it: pytest's
reports (terminal, tracebacks, captured output, JUnit), the process's stdout and stderr, and the
files a run leaves (`redact_tree`). A secret is replaced by ****.
"""
from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import psycopg

from spine_harness.deployment.textfiles import text_files

if TYPE_CHECKING:
    from spine_harness.targets.model import Target

MASK = "****"
# Shorter values (a port, "1") would mask innocent text; every real secret is longer.
MIN_SECRET_LENGTH = 6


def _passwords_in(value: str) -> set[str]:
    """The password inside a libpq connection string or a URL, if any."""
    found: set[str] = set()
    try:
        if password := psycopg.conninfo.conninfo_to_dict(value).get("password"):
            found.add(str(password))
    except psycopg.ProgrammingError:
        pass
    if "://" in value:
        try:
            parts = urlsplit(value)
            if parts.password:
                found |= {parts.password, unquote(parts.password)}
        except ValueError:
            pass
    return found


def secrets_in_values(values: Iterable[str | None]) -> set[str]:
    """Each value itself (a key, a secret) and any password inside it (a DSN, a URL)."""
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        found.add(value)
        found |= _passwords_in(value)
        if re.match(r"\s*\d+:", value):       # a keyring: version:key pairs
            found |= {part.split(":", 1)[1].strip() for part in value.split(",") if ":" in part}
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}


def secrets_of(target: "Target") -> set[str]:
    return secrets_in_values(target.secret_values())


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class Masker:
    """The secrets this process knows, and the mask applied to anything on its way out."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def register(self, secrets: Iterable[str | None]) -> None:
        with self._lock:
            self._secrets |= secrets_in_values(secrets)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets) if self._secrets else text


MASKER = Masker()


class MaskedStream(io.TextIOBase):
    """A text stream that masks every write before passing it on (wraps stdout/stderr)."""

    def __init__(self, inner, masker: Masker = MASKER) -> None:
        self.inner = inner
        self.masker = masker

    def write(self, text: str) -> int:
        self.inner.write(self.masker(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def fileno(self) -> int:
        return self.inner.fileno()

    def isatty(self) -> bool:
        return self.inner.isatty()

    @property
    def encoding(self):
        return getattr(self.inner, "encoding", "utf-8")


def mask_standard_streams() -> None:
    """Route this process's stdout and stderr (tracebacks included), and the streams of logging
    handlers made before (Locust sets up its logging first), through MASKER. Idempotent."""
    if not isinstance(sys.stdout, MaskedStream):
        sys.stdout = MaskedStream(sys.stdout)
    if not isinstance(sys.stderr, MaskedStream):
        sys.stderr = MaskedStream(sys.stderr)
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    for handler in (h for lg in loggers for h in getattr(lg, "handlers", ())):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler.stream, MaskedStream):
            handler.setStream(MaskedStream(handler.stream))


@contextlib.contextmanager
def masked_standard_streams():
    """stdout and stderr through MASKER for the duration, restored afterwards (a command run
    in-process, by a test say, leaves the caller's streams as they were)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskedStream(sys.stdout), MaskedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def redact_tree(root: Path, secrets: Iterable[str] | None = None) -> list[Path]:
    """Scrub every text file under `root` in place; return the files that held a secret."""
    secrets = MASKER.secrets if secrets is None else set(secrets)
    touched = []
    for path, text in text_files(root):
        clean = redact(text, secrets)
        if clean != text:
            path.write_text(clean)
            touched.append(path)
    return touched
