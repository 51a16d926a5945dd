"""The compose file: valid Compose; every service of the architecture with its memory limit
and reservation; pinned images; a start-up order gated on health; Postgres configured by the
stack's own postgresql.conf and built from the project's own SQL. Needs no server."""
from __future__ import annotations

import re

import pytest

from spine_harness.deployment.architecture import BOX_MEMORY_MIB, OS_HEADROOM_MIB, SERVICES
from spine_harness.deployment import initdb_mounts, validity
from spine_harness.deployment.definition import StackDefinition

POSTGRES_IMAGE = re.compile(r"^supabase/postgres:15\.\d+(\.\d+)*$")
PINNED_TAG = re.compile(r"^[^:@]+(:(?!latest$|stable$|main$)[^:@]*\d[^:@]*)?(@sha256:[0-9a-f]{64})?$")
RESTART_POLICIES = ("unless-stopped", "always")


@pytest.fixture(scope="module")
def stack(stack_dir) -> StackDefinition:
    return StackDefinition.load(stack_dir)


def test_compose_is_valid(stack):
    problems = validity.problems(stack.compose)
    assert not problems, "docker-compose.yml is not valid Compose:\n  " + "\n  ".join(problems)


def test_services_are_the_architecture_s(stack):
    present, expected = set(stack.compose.services), set(SERVICES)
    assert present == expected, (f"services missing: {sorted(expected - present)}; "
                                 f"not in the architecture: {sorted(present - expected)}")


@pytest.mark.parametrize("name", SERVICES)
def test_memory_is_the_architecture_s(stack, name):
    svc = stack.compose.services.get(name)
    assert svc is not None, f"no service {name!r} in docker-compose.yml"
    want = SERVICES[name]
    got = (svc.memory_limit_mib, svc.memory_reservation_mib)
    assert got == (want.limit_mib, want.reservation_mib), (
        f"{name}: deploy.resources limit/reservation are {got[0]}/{got[1]} MiB; "
        f"the architecture says {want.limit_mib}/{want.reservation_mib} MiB")


def test_memory_fits_the_box(stack):
    services = stack.compose.services.values()
    unlimited = sorted(s.name for s in services if s.memory_limit_mib is None)
    assert not unlimited, f"services without a memory limit may take the whole box: {unlimited}"
    budget = BOX_MEMORY_MIB - OS_HEADROOM_MIB
    limits = sum(s.memory_limit_mib for s in services)
    reservations = sum(s.memory_reservation_mib or 0 for s in services)
    over = sorted(s.name for s in services if (s.memory_reservation_mib or 0) > s.memory_limit_mib)
    assert limits <= budget, (f"memory limits sum to {limits:.0f} MiB; the {BOX_MEMORY_MIB} MiB box keeps "
                              f"{OS_HEADROOM_MIB} MiB for the OS, leaving {budget} MiB")
    assert reservations <= budget, f"reservations sum to {reservations:.0f} MiB of {budget} MiB"
    assert not over, f"reservation above the limit: {over}"


@pytest.mark.parametrize("name", SERVICES)
def test_image_is_pinned(stack, name):
    image = stack.compose.service(name).image
    assert image and PINNED_TAG.match(image) and (":" in image or "@" in image), (
        f"{name}: image {image!r} is not pinned to a version")
    if name == "db":
        assert POSTGRES_IMAGE.match(image), f"db: image {image!r} is not the Postgres 15 line of supabase/postgres"


@pytest.mark.parametrize("name", SERVICES)
def test_start_up_is_gated_on_health(stack, name):
    services = stack.compose.services
    svc = services[name]
    check = svc.raw.get("healthcheck") or {}
    assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
    assert svc.raw.get("restart") in RESTART_POLICIES, (
        f"{name}: restart is {svc.raw.get('restart')!r}; use one of {RESTART_POLICIES}")
    ungated = {dep: cond for dep, cond in svc.depends_on.items()
               if cond != "service_healthy" and (services.get(dep) and services[dep].raw.get("healthcheck"))}
    assert not ungated, f"{name}: starts before these are healthy: {ungated} (use condition: service_healthy)"


def test_db_runs_the_stack_s_postgresql_conf(stack):
    db = stack.compose.service("db")
    mounts = {m.target: m for m in db.mounts}
    wanted = {"/etc/postgresql/postgresql.conf": "./volumes/db/postgresql.conf",
              "/etc/postgresql/pg_hba.conf": "./volumes/db/pg_hba.conf",
              "/etc/postgresql-custom/image.conf": "./volumes/db/image.conf"}
    wrong = {t: (mounts[t].source if t in mounts else None) for t, s in wanted.items()
             if t not in mounts or mounts[t].source != s or not mounts[t].read_only}
    assert not wrong, f"db mounts (target: source) not as the stack defines them, read-only: {wrong}"
    assert "config_file=/etc/postgresql/postgresql.conf" in db.command, (
        f"db command {db.command} does not start Postgres with the stack's postgresql.conf")


def test_db_init_sql_is_the_project_s(stack):
    problems = initdb_mounts.problems(stack.compose.service("db"))
    assert not problems, "the db's init SQL is not sql/*.sql, mounted in order:\n  " + "\n  ".join(problems)
