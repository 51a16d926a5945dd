"""The load population: fast to make, addressed the same way from SQL and Python, and removed
without touching anyone else's rows."""
from __future__ import annotations

import psycopg
import pytest

from spine_harness.database.connections import connect
from spine_harness.capacity import population
from spine_harness.rls import seed as rls_seed

TABLES = ("auth.users", "public.users", "public.user_mfa_settings", "public.user_totp",
          "gesign.certificates", "gesign.signing_logs")


@pytest.fixture
def scratch_db(local_spine):
    with local_spine.scratch("test_seed_population") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            yield conn


def counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_seed_creates_users_with_certificates_and_logs(scratch_db):
    result = population.create(scratch_db, 500, 2)
    assert counts(scratch_db) == {"auth.users": 500, "public.users": 500, "public.user_mfa_settings": 500,
                                  "public.user_totp": 500, "gesign.certificates": 500, "gesign.signing_logs": 1000}
    assert result.rows["signing logs"] == 1000
    assert population.count(scratch_db) == 500


def test_python_and_sql_derive_the_same_ids(scratch_db):
    population.create(scratch_db, 3, 0)
    row = scratch_db.execute("select c.id, c.user_id from gesign.certificates c"
                             " where c.serial_number = 'spine-load-cert-3'").fetchone()
    assert row == (population.certificate_id(3), population.user_id(3))


def test_reseeding_replaces_and_removal_spares_other_rows(scratch_db):
    other = rls_seed.create(scratch_db)            # the RLS suite's marked rows, not the load's
    before = counts(scratch_db)
    population.create(scratch_db, 50, 1)
    population.create(scratch_db, 20, 1)
    assert population.count(scratch_db) == 20
    assert population.remove(scratch_db) == 20
    assert counts(scratch_db) == before
    rls_seed.remove(scratch_db, other)


def test_bad_input_changes_nothing(scratch_db):
    population.create(scratch_db, 10, 1)
    before = counts(scratch_db)
    with pytest.raises(ValueError, match="at least one user"):
        population.create(scratch_db, 0, 1)
    assert counts(scratch_db) == before


def test_a_failure_midway_leaves_nothing(scratch_db):
    other = rls_seed.create(scratch_db)
    # Someone else's certificate already holds the serial number load user 5 would get.
    scratch_db.execute("update gesign.certificates set serial_number = 'spine-load-cert-5' where id = %s",
                       (other.certificate,))
    before = counts(scratch_db)
    with pytest.raises(psycopg.errors.UniqueViolation, match="serial_number"):
        population.create(scratch_db, 10, 1)
    assert counts(scratch_db) == before
    rls_seed.remove(scratch_db, other)
