"""Fixtures for the benchmarks under load/: local Spines filled with a realistic volume by the
load population (spine_harness.capacity.population), one with the stack's postgresql.conf and, for
the tuning comparison, one with Postgres' defaults. Started once per benchmark session."""
from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_harness.config.values import positive_int, whole_number
from spine_harness.database.connections import connect
from spine_harness.capacity import population
from spine_harness.servers.postgres import STACK_POSTGRESQL_CONF
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


@contextlib.contextmanager
def filled_spine(config: pytest.Config, postgres_conf: Path | None) -> Iterator[Volume]:
    """A local Spine with the benchmark volume in it, stopped and removed afterwards."""
    users, logs_per_user = config.getoption("--bench-users"), config.getoption("--bench-logs-per-user")
    with LocalSpine(postgres_conf=postgres_conf) as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            population.create(conn, users, logs_per_user)
            conn.execute("vacuum analyze")
        picks = random.Random(7).sample(range(1, users + 1), min(SAMPLE_SIZE, users))
        yield Volume(target, [(population.user_id(i), population.certificate_id(i)) for i in picks])


@pytest.fixture(scope="session")
def volume(pytestconfig):
    """The stack's own configuration, at benchmark volume."""
    with filled_spine(pytestconfig, STACK_POSTGRESQL_CONF) as vol:
        yield vol


@pytest.fixture(scope="session")
def default_volume(pytestconfig):
    """The same schema and data on a Postgres running initdb's default postgresql.conf."""
    with filled_spine(pytestconfig, None) as vol:
        yield vol
