"""What row-level security costs on the hot queries, at realistic volume.

Each hot query runs under its policy as the signed-in user (`policy`), and under the policy
rewritten the slow way with a bare auth.uid() (`policy_per_row_uid`); between every round the
same query runs as service_role with the filter written out (the baseline, interleaved so both
see the same machine). The report divides their medians (spine_harness/report/ratios.py holds
the goals): the policy may cost at most 1.3x.
"""
from __future__ import annotations

import itertools

import pytest

from spine_harness.database.connections import connect
from spine_harness.database.impersonation import claims_for, request
from spine_harness.capacity.paired_benchmark import paired

# The query as the application sends it under RLS, and as service_role with the filter explicit.
HOT_QUERIES = {
    "profile_read": ("select id, display_name, locale from public.users",
                     "select id, display_name, locale from public.users where id = %(uid)s"),
    "certificate_list": ("select id, serial_number, status, not_after from gesign.certificates"
                         " order by not_after desc",
                         "select id, serial_number, status, not_after from gesign.certificates"
                         " where user_id = %(uid)s order by not_after desc"),
    "signing_log_page": ("select id, document_name, signed_at from gesign.signing_logs"
                         " order by signed_at desc limit 20",
                         "select id, document_name, signed_at from gesign.signing_logs"
                         " where user_id = %(uid)s order by signed_at desc limit 20"),
    "signing_log_insert": (
        "insert into gesign.signing_logs (user_id, certificate_id, document_hash, signature_algorithm)"
        " values (%(uid)s, %(cert)s, sha256(random()::text::bytea), 'Ed25519')",
        "insert into gesign.signing_logs (user_id, certificate_id, document_hash, signature_algorithm)"
        " values (%(uid)s, %(cert)s, sha256(random()::text::bytea), 'Ed25519')"),
}

# The policies the slow variant swaps in: the same rules, with auth.uid() evaluated per row.
FAST_POLICIES = {
    ("public.users", "users_select_own"): "for select to authenticated using (id = (select auth.uid()))",
    ("gesign.certificates", "certificates_select_own"): "for select to authenticated using (user_id = (select auth.uid()))",
    ("gesign.signing_logs", "signing_logs_select_own"): "for select to authenticated using (user_id = (select auth.uid()))",
}


def _set_policies(conn, slow: bool) -> None:
    with conn.transaction():
        for (table, name), body in FAST_POLICIES.items():
            if slow:
                body = body.replace("(select auth.uid())", "auth.uid()")
            conn.execute(f"drop policy {name} on {table}")
            conn.execute(f"create policy {name} on {table} {body}")


@pytest.fixture(scope="module")
def policies(volume):
    """Switches between the project's policies and the slow rewrite; always restores them."""
    with connect(volume.target.direct_dsn, autocommit=True) as admin:
        state = {"slow": False}

        def use(slow: bool) -> None:
            if state["slow"] != slow:
                _set_policies(admin, slow)
                state["slow"] = slow
        yield use
        use(False)


@pytest.fixture(scope="module")
def api(volume):
    """authenticator straight to Postgres: the pooler's own cost is the pooling benchmark's business."""
    with connect(volume.target.dsn_for(volume.target.direct_dsn, user="authenticator"), autocommit=True) as conn:
        yield conn


ROUNDS = 400


@pytest.mark.parametrize("mode", ["policy", "policy_per_row_uid"])
@pytest.mark.parametrize("query", list(HOT_QUERIES))
def test_rls_cost(benchmark, query, mode, api, volume, policies):
    if mode == "policy_per_row_uid" and query == "signing_log_insert":
        pytest.skip("inserts are checked by WITH CHECK, which the slow rewrite does not change")
    policies(mode == "policy_per_row_uid")
    benchmark.group = f"rls:{query}"
    under_policy, explicit = HOT_QUERIES[query]
    users = itertools.cycle(volume.sample_users)
    rows: list[int] = []

    def one_request(claims_of, sql):
        uid, cert = next(users)
        with request(api, claims_of(uid), commit=query == "signing_log_insert") as cur:
            cur.execute(sql, {"uid": uid, "cert": cert})
            rows.append(cur.rowcount)

    paired(benchmark, lambda: one_request(lambda uid: claims_for("authenticated", uid), under_policy),
           lambda: one_request(lambda uid: claims_for("service_role"), explicit),
           case=mode, baseline_case="service_role", rounds=ROUNDS)
    assert min(rows) > 0, f"{query} returned no rows for some request: the benchmark would measure nothing"
