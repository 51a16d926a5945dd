"""Keeping secrets out of what the harness prints and writes. Every value a target holds that
grants access (passwords inside DSNs, the JWT secret, the API keys) is replaced by ****."""
from __future__ import annotations

from pathlib import Path

import psycopg

from spine_harness.targets.model import Target
from spine_harness.textfiles import text_files

MASK = "****"


def secrets_of(target: Target) -> set[str]:
    found = {v for v in (target.jwt_secret, target.anon_key, target.service_role_key) if v}
    for dsn in (target.direct_dsn, target.pooler_dsn, target.api_dsn, target.pooler_admin_dsn):
        if dsn and (password := psycopg.conninfo.conninfo_to_dict(dsn).get("password")):
            found.add(str(password))
    return {s for s in found if len(s) >= 6}


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_tree(root: Path, secrets: set[str]) -> list[Path]:
    """Scrub every text file under `root` in place; return the files that held a secret."""
    touched = []
    for path, text in text_files(root):
        clean = redact(text, secrets)
        if clean != text:
            path.write_text(clean)
            touched.append(path)
    return touched
