"""Secrets written into the stack's files by mistake: a JWT (every legacy Supabase key is one),
an opaque `sb_` key, a private JWK, or a value tokens.py knows as a public upstream default. `.env` is the one file meant to hold
secrets (mode 0600, never committed) and is not searched."""
from __future__ import annotations

import re
from pathlib import Path

from spine_harness.keys import tokens
from spine_harness.deployment.textfiles import text_files

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
OPAQUE = re.compile(r"sb_(?:publishable|secret)_[A-Za-z0-9_-]{16,}")
PRIVATE_JWK = re.compile(r"""["']?\bd["']?\s*:\s*["']?[A-Za-z0-9_-]{40,}""")
_WORD = re.compile(r"[A-Za-z0-9+/=._~-]{16,}")
NOT_SEARCHED = (".env",)


def findings(stack_dir: Path) -> list[str]:
    """`file:line: what` for every literal secret; never the secret itself."""
    root = Path(stack_dir)
    found = []
    for path, text in text_files(root, NOT_SEARCHED):
        for lineno, line in enumerate(text.splitlines(), 1):
            where = f"{path.relative_to(root)}:{lineno}"
            if JWT.search(line):
                found.append(f"{where}: a literal JWT (use a $VARIABLE from .env)")
            if OPAQUE.search(line):
                found.append(f"{where}: a literal opaque API key (use a $VARIABLE from .env)")
            if PRIVATE_JWK.search(line):
                found.append(f"{where}: a private key (a JWK's d), which belongs in .env for GoTrue only")
            for word in _WORD.findall(line):
                if which := tokens.known_default(word):
                    found.append(f"{where}: the public {which}")
    return found
