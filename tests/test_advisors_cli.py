"""The advisors machinery on its own: the URL carries no password, the verdict's rules, the
allowlist's refusals, the CLI's failures as one scrubbed line, and the lint list against the
installed CLI's bundled SQL."""
from __future__ import annotations

import json

import pytest

from spine_harness.advisors import allowlist, catalog, cli
from spine_harness.advisors.verdict import failing

DSN = "host=127.0.0.1 port=5439 dbname=spine user=postgres password=s3cr%t/p@ss"


def finding(name, level, category="PERFORMANCE", schema="public", obj="users"):
    return cli.Finding(name, level, (category,), "detail", "https://example.invalid/lint",
                       {"schema": schema, "name": obj}, f"{name}_{obj}")


def test_url_has_no_password_and_env_carries_it():
    url, env = cli.url_and_env(DSN, ["public", "gesign"])
    assert "s3cr" not in url
    assert url.startswith("postgresql://postgres@127.0.0.1:5439/spine?sslmode=disable&options=")
    assert "pgrst.db_schemas%3Dpublic%2Cgesign" in url
    assert env == {"PGPASSWORD": "s3cr%t/p@ss"}


def test_remote_host_keeps_its_sslmode():
    url, _ = cli.url_and_env("host=db.example.invalid user=postgres password=x sslmode=verify-full", ["public"])
    assert "sslmode=verify-full" in url


def test_verdict_security_fails_info_passes_allowlisted_performance_passes():
    perf = catalog.by_name("multiple_permissive_policies")
    sec = catalog.by_name("function_search_path_mutable")
    allowed = (allowlist.Allowed("multiple_permissive_policies", "public.*", "reviewed"),)
    assert failing(perf, [finding(perf.name, "WARN")], allowed) == []
    assert len(failing(perf, [finding(perf.name, "WARN", obj="other")], ())) == 1
    assert failing(perf, [finding(perf.name, "INFO")], ()) == []
    assert len(failing(sec, [finding(sec.name, "WARN", "SECURITY")], allowed)) == 1


def test_allowlist_refuses_security_lints_and_missing_reasons():
    with pytest.raises(ValueError, match="security lint"):
        allowlist.parse({"allow": [{"lint": "security_definer_view", "object": "public.v", "reason": "x"}]},
                        "f", {"security_definer_view"})
    with pytest.raises(ValueError, match="reason"):
        allowlist.parse({"allow": [{"lint": "duplicate_index", "object": "public.t"}]}, "f", set())
    assert allowlist.load(security_lints={lint.name for lint in catalog.LINTS if lint.category == "SECURITY"}) == ()


def test_cli_error_is_one_scrubbed_line():
    out = json.dumps({"_tag": "Error", "error": {"message": "failed to connect: password s3cr%t/p@ss wrong"}})
    with pytest.raises(cli.AdvisorsFailed) as exc:
        cli.parse(out, 1, ["s3cr%t/p@ss"])
    assert "s3cr" not in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(cli.AdvisorsFailed, match="without JSON"):
        cli.parse("Connecting...", 1)


def test_findings_parse():
    out = json.dumps({"results": [{"name": "unused_index", "level": "INFO", "categories": ["PERFORMANCE"],
                                   "detail": "d", "remediation": "r", "metadata": {"schema": "gesign", "name": "t"},
                                   "cacheKey": "k"}]})
    (f,) = cli.parse(out)
    assert f.object == "gesign.t" and f.level == "INFO"


def test_lint_list_is_the_pinned_cli_s():
    binary = cli.platform_binary()
    if binary is None or cli.unavailable_reason():
        pytest.skip(f"the pinned Supabase CLI is not installed: {cli.unavailable_reason()}")
    assert catalog.bundled_lints(binary) == set(catalog.LINTS)
