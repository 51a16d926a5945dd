"""What the sensitive schemas may store in clear, against the column policy
(sql/column-policy.yaml): every column of gesign, eid and public's MFA tables is classed and
its type fits its class (catalog); sampled rows show no hashed or sealed value that reads as
text, and no national register number or e-mail address outside a column classed to hold one
(data). Findings name the column and the kind of value, never the value."""
from __future__ import annotations

import pytest

from spine_harness.rls import column_policy

pytestmark = pytest.mark.needs("database")

POLICY = column_policy.load()


@pytest.fixture(scope="module")
def catalog(admin_conn) -> dict[str, dict[str, str]]:
    return column_policy.catalog_columns(admin_conn, POLICY)


def test_every_sensitive_column_is_classed(catalog):
    problems = column_policy.unclassed(POLICY, catalog)
    assert not problems, ("columns of the sensitive schemas the column policy does not class "
                          "(sql/column-policy.yaml):\n  " + "\n  ".join(problems))


def test_column_types_fit_their_class(catalog):
    problems = column_policy.misfit_types(POLICY, catalog)
    assert not problems, "columns whose type cannot hold what their class says:\n  " + "\n  ".join(problems)


def test_hashed_and_sealed_values_are_not_text(admin_conn, catalog, record_property):
    problems, sampled = [], 0
    for table, columns in catalog.items():
        for column in columns:
            if POLICY.class_of(table, column) not in column_policy.OPAQUE_CLASSES:
                continue
            values = column_policy.sample(admin_conn, table, column)
            sampled += len(values)
            clear = sum(column_policy.reads_as_text(v) for v in values)
            if clear:
                problems.append(f"{table}.{column} ({POLICY.class_of(table, column)}): {clear} of {len(values)} "
                                "sampled values decode to printable text")
    record_property("opaque_values_sampled", sampled)
    assert not problems, "hashed or sealed columns holding readable text:\n  " + "\n  ".join(problems)


def test_no_identity_value_in_clear(admin_conn, catalog, record_property):
    problems, sampled = [], 0
    for table, columns in catalog.items():
        for column, type_ in columns.items():
            if type_ not in column_policy.TEXT_TYPES:
                continue
            values = [column_policy.as_text(v) for v in column_policy.sample(admin_conn, table, column)]
            sampled += len(values)
            for what, (pattern, holder) in column_policy.IDENTITY_VALUES.items():
                hits = sum(1 for v in values if v and pattern.search(v))
                if hits and POLICY.class_of(table, column) != holder:
                    problems.append(f"{table}.{column} ({POLICY.class_of(table, column)}): {hits} sampled values "
                                    f"hold a {what}")
    record_property("values_sampled", sampled)
    assert not problems, "identifiers stored in clear where the column policy does not allow them:\n  " + "\n  ".join(problems)
