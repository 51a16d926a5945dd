"""Re-sealing every TOTP secret under the keyring's current key, so the old key can be retired.

Verification re-seals a row when it is used; this catches the rows nobody uses. It works in
batches, each its own transaction with the rows locked, so it can run beside live traffic and
be stopped and re-run at any point. A row that does not open is reported and left alone.
"""
from __future__ import annotations

import collections
import dataclasses
import uuid

import psycopg
from cryptography.exceptions import InvalidTag

from spine_harness.database.impersonation import request
from spine_harness.mfa.keys import KeyringError
from spine_harness.mfa.sealing import Sealed, Sealer, totp_associated_data
from spine_harness.mfa.service import SERVICE_CLAIMS, store_sealed


@dataclasses.dataclass
class RotationReport:
    current_version: int
    resealed_from: collections.Counter = dataclasses.field(default_factory=collections.Counter)  # old version -> rows
    unopenable: list[uuid.UUID] = dataclasses.field(default_factory=list)   # row ids (never contents)
    dry_run: bool = False

    def summary(self) -> str:
        done = sum(self.resealed_from.values())
        verb = "would re-seal" if self.dry_run else "re-sealed"
        versions = ", ".join(f"{n} from version {v}" for v, n in sorted(self.resealed_from.items())) or "none"
        line = f"{verb} {done} TOTP secret(s) under key version {self.current_version} ({versions})"
        if self.unopenable:
            line += (f"; {len(self.unopenable)} row(s) did not open and were left as they are: "
                     + ", ".join(map(str, self.unopenable)))
        return line


def rotate(conn: psycopg.Connection, sealer: Sealer, *, batch_size: int = 200, dry_run: bool = False,
           only_users: list[uuid.UUID] | None = None) -> RotationReport:
    """Every row not under the current key, or only those of `only_users` (a suite's own)."""
    report = RotationReport(sealer.current_version, dry_run=dry_run)
    after = uuid.UUID(int=0)
    while True:
        with request(conn, SERVICE_CLAIMS, commit=not dry_run, method="POST", path="/mfa/rotate") as cur:
            cur.execute("select id, user_id, secret_ciphertext, secret_nonce, key_version from public.user_totp"
                        " where key_version <> %(current)s and id > %(after)s"
                        " and (%(all)s or user_id = any(%(users)s)) order by id limit %(limit)s for update",
                        {"current": sealer.current_version, "after": after, "all": only_users is None,
                         "users": only_users or [], "limit": batch_size})
            rows = cur.fetchall()
            for row_id, user_id, ciphertext, nonce, version in rows:
                associated_data = totp_associated_data(user_id, row_id)
                try:
                    secret = sealer.open(Sealed(ciphertext, nonce, version), associated_data)
                except (InvalidTag, KeyringError):
                    report.unopenable.append(row_id)
                    continue
                store_sealed(cur, row_id, sealer.seal(secret, associated_data))
                report.resealed_from[version] += 1
        if len(rows) < batch_size:
            return report
        after = rows[-1][0]
