"""Fixtures for the benchmarks under load/: local Spines filled with a realistic volume by the
load population (spine_harness.capacity.population), one with the stack's postgresql.conf and, for
the tuning comparison, one with Postgres' defaults and one per server-level group of the stack's
lines applied alone on the defaults (spine_harness.capacity.tuning_workloads.GROUPS). Started once
per benchmark session, each Postgres in a memory cgroup at the db container's limit (its page
cache charged to it, as in the container), unless `--bench-no-memory-limits`."""
from __future__ import annotations

import contextlib
import dataclasses
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_harness.config.values import positive_int, whole_number
from spine_harness.database.connections import connect
from spine_harness.capacity import population
from spine_harness.capacity import tuning_workloads
from spine_harness.deployment import pgconf
from spine_harness.deployment.architecture import SERVICES
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
    group.addoption("--bench-no-memory-limits", action="store_true",
                    help="run the benchmark servers without their memory cgroups")
    group.addoption("--bench-write-burst", type=positive_int, default=None,
                    help="rows per round of the tuning write burst (default: as many as write, over the "
                         "benchmark's rounds, 1.25x the default max_wal_size of WAL)")
    group.addoption("--bench-rounds", type=positive_int, default=15,
                    help="measured rounds per tuning case (default: %(default)s)")


@dataclasses.dataclass(frozen=True)
class Volume:
    target: Target
    sample_users: list[tuple]     # (user id, certificate id) of random load users


@contextlib.contextmanager
def filled_spine(config: pytest.Config, postgres_conf: Path | None) -> Iterator[Volume]:
    """A local Spine with the benchmark volume in it, stopped and removed afterwards."""
    users, logs_per_user = config.getoption("--bench-users"), config.getoption("--bench-logs-per-user")
    limits = None if config.getoption("--bench-no-memory-limits") else {"db": SERVICES["db"].limit_mib}
    with LocalSpine(postgres_conf=postgres_conf, memory_limits=limits) as target:
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


@pytest.fixture(scope="session")
def tuned_settings() -> dict[str, str]:
    return pgconf.parse(STACK_POSTGRESQL_CONF.read_text())


@pytest.fixture(scope="session")
def alone_volumes(pytestconfig, tuned_settings):
    """group name -> a Spine on the defaults plus that server-level group alone, started on first use."""
    stack = contextlib.ExitStack()
    started: dict[str, Volume] = {}
    tmp = Path(tempfile.mkdtemp(prefix="spine-bench-conf-"))

    def get(group: tuning_workloads.Group) -> Volume:
        if group.name not in started:
            conf = tmp / f"{group.name}.conf"
            conf.write_text(tuning_workloads.conf_text(group.values(tuned_settings)))
            started[group.name] = stack.enter_context(filled_spine(pytestconfig, conf))
        return started[group.name]
    with stack:
        yield get
