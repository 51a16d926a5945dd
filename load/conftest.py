"""Fixtures for the benchmarks under load/: local Spines filled with a realistic volume by the
load population (spine_harness.load.population), one with the stack's postgresql.conf and, for
the tuning comparison, one with Postgres' defaults. Started once per benchmark session."""
from __future__ import annotations

import dataclasses
import random

import pytest

from spine_harness.arguments import positive_int, whole_number
from spine_harness.db import connect
from spine_harness.load import population
from spine_harness.targets.local import LocalSpine
from spine_harness.targets.model import Target

SAMPLE_SIZE = 500


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spine-bench", "Spine benchmarks")
    group.addoption("--bench-users", type=whole_number(1000), default=100_000,
                    help="users in the benchmark volume (default: %(default)s)")
    group.addoption("--bench-logs-per-user", type=positive_int, default=10,
                    help="signing logs per user (default: %(default)s, i.e. 1M logs for 100k users)")


@dataclasses.dataclass(frozen=True)
class Volume:
    target: Target
    sample_users: list[tuple]     # (user id, certificate id) of random load users


def _filled(spine: LocalSpine, users: int, logs_per_user: int) -> Volume:
    target = spine.start()
    with connect(target.direct_dsn, autocommit=True) as conn:
        population.create(conn, users, logs_per_user)
        conn.execute("vacuum analyze")
    picks = random.Random(7).sample(range(1, users + 1), min(SAMPLE_SIZE, users))
    return Volume(target, [(population.user_id(i), population.certificate_id(i)) for i in picks])


@pytest.fixture(scope="session")
def volume(pytestconfig):
    """The stack's own configuration, at benchmark volume."""
    spine = LocalSpine()
    try:
        yield _filled(spine, pytestconfig.getoption("--bench-users"), pytestconfig.getoption("--bench-logs-per-user"))
    finally:
        spine.stop()


@pytest.fixture(scope="session")
def default_volume(pytestconfig):
    """The same schema and data on a Postgres running initdb's default postgresql.conf."""
    spine = LocalSpine(postgres_conf=None)
    try:
        yield _filled(spine, pytestconfig.getoption("--bench-users"), pytestconfig.getoption("--bench-logs-per-user"))
    finally:
        spine.stop()
