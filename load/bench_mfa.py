"""What MFA costs per operation: sealing and opening a TOTP secret (AES-256-GCM), checking a
code in process, and a full verification through the pooler (read the sealed row, open it,
match the code, take the step with the atomic update, reset the failure count).

Run: .venv/bin/python -m pytest load/bench_mfa.py --benchmark-only
pytest-benchmark's OPS column is operations per second; the through-the-pooler case starts the
local target (or uses --spine-attach) and works only on its own marked users.
"""
from __future__ import annotations

import itertools
import uuid

import pytest

from spine_harness.database.connections import connect
from spine_harness.mfa import totp
from spine_harness.mfa.keys import Keyring
from spine_harness.mfa.marked_users import MarkedUsers
from spine_harness.mfa.sealing import Sealer, totp_associated_data
from spine_harness.mfa.service import MfaService, Verdict

ASSOCIATED_DATA = totp_associated_data(uuid.uuid4(), uuid.uuid4())
T0 = 1_900_000_020.0


@pytest.fixture(scope="module")
def sealer() -> Sealer:
    return Sealer(Keyring.generate())


@pytest.mark.benchmark(group="mfa-seal-open")
def test_seal(benchmark, sealer):
    secret = totp.new_secret()
    benchmark(sealer.seal, secret, ASSOCIATED_DATA)


@pytest.mark.benchmark(group="mfa-seal-open")
def test_open(benchmark, sealer):
    sealed = sealer.seal(totp.new_secret(), ASSOCIATED_DATA)
    benchmark(sealer.open, sealed, ASSOCIATED_DATA)


@pytest.mark.benchmark(group="mfa-verify")
def test_verify_code_in_process(benchmark, sealer):
    """Open the sealed secret and match a code within one step of drift: the CPU part."""
    secret = totp.new_secret()
    sealed = sealer.seal(secret, ASSOCIATED_DATA)
    code = totp.code_at(secret, T0)

    def verify():
        return totp.matching_step(sealer.open(sealed, ASSOCIATED_DATA), code, T0)
    assert benchmark(verify) == totp.time_step(T0)


@pytest.mark.needs("database", "pooler")
@pytest.mark.benchmark(group="mfa-verify")
def test_verify_through_the_pooler(benchmark, spine, sealer):
    """Each round verifies the next step's code, so every one is a real acceptance."""
    if not spine.writable:
        pytest.skip(f"target '{spine.name}' is read-only: set SPINE_ALLOW_WRITES=1 for this benchmark")
    with connect(spine.direct_dsn, autocommit=True) as admin, connect(spine.api_dsn, autocommit=True) as conn:
        users = MarkedUsers(admin)
        try:
            user = users.new("bench")
            service = MfaService(conn, sealer)
            enrolment = service.enrol(user, users.email("bench"))
            secret = totp.secret_from_uri(enrolment.provisioning_uri)
            steps = itertools.count()

            def verify():
                at = T0 + next(steps) * totp.STEP_SECONDS
                return service.verify(user, totp.code_at(secret, at), at=at)
            assert benchmark(verify) is Verdict.ACCEPTED
        finally:
            users.remove()
