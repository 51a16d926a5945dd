"""`python -m spine_harness mfa-rotate-key` against a scratch copy of the local Spine."""
from __future__ import annotations

import base64
import uuid

import pytest

from spine_harness.__main__ import main
from spine_harness.database.connections import connect
from spine_harness.mfa.keys import Keyring
from spine_harness.mfa.sealing import Sealer
from spine_harness.mfa.service import MfaService


@pytest.fixture
def scratch_target(local_spine, tmp_path):
    with local_spine.scratch("mfa_rotate_command") as target:
        yield target, target.write_attach_file(tmp_path / "target.json")


def _enrol(target, keyring: Keyring, n: int) -> None:
    users = [uuid.uuid4() for _ in range(n)]
    with connect(target.direct_dsn, autocommit=True) as admin:
        for user in users:
            admin.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"{user}@spine-harness.invalid"))
    with connect(target.api_dsn, autocommit=True) as conn:
        for user in users:
            MfaService(conn, Sealer(keyring)).enrol(user, "rotation")


def _versions(target) -> list[int]:
    with connect(target.direct_dsn) as admin:
        return [r[0] for r in admin.execute("select key_version from public.user_totp order by 1")]


def test_rotation_reseals_every_row_and_shows_no_key(scratch_target, monkeypatch, capsys):
    target, attach = scratch_target
    old = Keyring.generate()
    _enrol(target, old, 5)
    rotated = old.with_key(2)
    for name, value in rotated.environ().items():
        monkeypatch.setenv(name, value)

    assert main(["mfa-rotate-key", "--spine-attach", str(attach), "--dry-run"]) == 0
    assert _versions(target) == [1] * 5, "a dry run changed rows"
    assert main(["mfa-rotate-key", "--spine-attach", str(attach), "--batch-size", "2"]) == 0
    assert _versions(target) == [2] * 5
    out = capsys.readouterr()
    assert "would re-seal 5" in out.out, out.out
    assert "re-sealed 5 TOTP secret(s) under key version 2 (5 from version 1)" in out.out, out.out
    for key in rotated.keys.values():
        assert base64.b64encode(key).decode() not in out.out + out.err and key.hex() not in out.out + out.err


def test_rows_that_do_not_open_are_reported_and_fail_the_run(scratch_target, monkeypatch, capsys):
    target, attach = scratch_target
    _enrol(target, Keyring.generate(), 1)
    for name, value in Keyring.generate().with_key(2).environ().items():   # a keyring without the real key 1
        monkeypatch.setenv(name, value)
    assert main(["mfa-rotate-key", "--spine-attach", str(attach)]) == 1
    assert "1 row(s) did not open" in capsys.readouterr().out
    assert _versions(target) == [1]


def test_a_missing_keyring_is_one_line_on_stderr(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("SPINE_MFA_KEYRING", raising=False)
    assert main(["mfa-rotate-key", "--spine-attach", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINE_MFA_KEYRING is not set" in err
