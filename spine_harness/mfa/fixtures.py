"""Fixtures the MFA conformance suites (and the MFA benchmark) share, loaded by the harness's
pytest plugin: the implementation under test, its keys, the clock it reads, and users of the
suite's own.

The keyring is the deployment's when SPINE_MFA_KEYRING is set (then every sealed row must open
with it); otherwise the suite makes one for the run and judges the rows it sealed itself.
"""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from spine_harness.mfa import implementation, keys
from spine_harness.mfa.clock import ManualClock
from spine_harness.mfa.implementation import Implementation
from spine_harness.mfa.marked_users import MarkedUsers
from spine_harness.mfa.service import MfaService
from spine_harness.targets import Target


# The instant the suites' clock starts at: the start of a 30 s step, far from any real clock, so a
# service that reads the wall clock instead of the one it is given is found out.
SUITE_EPOCH = 1_900_000_020.0


@dataclasses.dataclass(frozen=True)
class SuiteKeys:
    keyring: keys.Keyring
    deployment: bool    # from SPINE_MFA_KEYRING: it must open every row, not only the suite's own


@pytest.fixture(scope="session")
def mfa_implementation(spine_settings) -> Implementation:
    try:
        return implementation.from_settings(spine_settings)
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def mfa_keys(spine_settings) -> SuiteKeys:
    if not spine_settings.mfa_keyring:
        return SuiteKeys(keys.Keyring.generate(), deployment=False)
    try:
        return SuiteKeys(keys.from_settings(spine_settings), deployment=True)
    except keys.KeyringError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def mfa_sealer(mfa_implementation, mfa_keys):
    return mfa_implementation.sealer(mfa_keys.keyring)


@pytest.fixture(scope="module")
def mfa_clock() -> ManualClock:
    """The clock every service of a suite module reads; a test sets it where it starts."""
    return ManualClock(SUITE_EPOCH)


@pytest.fixture(scope="module")
def mfa_service(mfa_implementation, mfa_sealer, api_conn, mfa_clock) -> MfaService:
    """The implementation's service on authenticator through the pooler, acting as service_role,
    reading the suite's clock."""
    return mfa_implementation.service(api_conn, mfa_sealer, clock=mfa_clock)


@pytest.fixture(scope="module")
def marked_users(spine: Target, admin_conn):
    if not spine.writable:
        pytest.skip(f"target '{spine.name}' is read-only: set SPINE_ALLOW_WRITES=1 to let the MFA suite "
                    "enrol (and remove) its own marked users")
    users = MarkedUsers(admin_conn)
    try:
        yield users
    finally:
        users.remove()


@pytest.fixture(scope="module")
def enrolled_users(spine: Target, admin_conn, mfa_service) -> list[uuid.UUID]:
    """A few users enrolled, with recovery codes, by the implementation under test, so a
    suite reading the tables always has rows of known origin; none on a read-only target."""
    if not spine.writable:
        yield []
        return
    users = MarkedUsers(admin_conn)
    try:
        for _ in range(3):
            user = users.new("enrolled")
            mfa_service.enrol(user, users.email("enrolled"))
            mfa_service.regenerate_recovery_codes(user)
        yield list(users.ids)
    finally:
        users.remove()
