"""The lints the pinned Supabase CLI runs, with their level and category as its bundled
splinter SQL writes them. A release may lag the splinter repository: these are the 23 the
pinned 2.117.0 bundles (tests/test_advisors_cli.py reads them back out of the installed binary,
so a new pin with other lints fails until this list follows)."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class AdvisorLint:
    name: str
    level: str       # the level its findings carry: ERROR, WARN or INFO
    category: str    # SECURITY or PERFORMANCE


def _l(name: str, level: str, category: str) -> AdvisorLint:
    return AdvisorLint(name, level, category)


LINTS: tuple[AdvisorLint, ...] = (
    _l("auth_users_exposed", "ERROR", "SECURITY"),
    _l("policy_exists_rls_disabled", "ERROR", "SECURITY"),
    _l("security_definer_view", "ERROR", "SECURITY"),
    _l("rls_disabled_in_public", "ERROR", "SECURITY"),
    _l("rls_references_user_metadata", "ERROR", "SECURITY"),
    _l("insecure_queue_exposed_in_api", "ERROR", "SECURITY"),
    _l("fkey_to_auth_unique", "ERROR", "SECURITY"),
    _l("sensitive_columns_exposed", "ERROR", "SECURITY"),
    _l("function_search_path_mutable", "WARN", "SECURITY"),
    _l("extension_in_public", "WARN", "SECURITY"),
    _l("materialized_view_in_api", "WARN", "SECURITY"),
    _l("foreign_table_in_api", "WARN", "SECURITY"),
    _l("unsupported_reg_types", "WARN", "SECURITY"),
    _l("extension_versions_outdated", "WARN", "SECURITY"),
    _l("rls_policy_always_true", "WARN", "SECURITY"),
    _l("rls_enabled_no_policy", "INFO", "SECURITY"),
    _l("auth_rls_initplan", "WARN", "PERFORMANCE"),
    _l("multiple_permissive_policies", "WARN", "PERFORMANCE"),
    _l("duplicate_index", "WARN", "PERFORMANCE"),
    _l("unindexed_foreign_keys", "INFO", "PERFORMANCE"),
    _l("no_primary_key", "INFO", "PERFORMANCE"),
    _l("unused_index", "INFO", "PERFORMANCE"),
    _l("table_bloat", "INFO", "PERFORMANCE"),
)

_BUNDLED = re.compile(rb"'([a-z0-9_]+)' as name,\s+'[^']*' as title,\s+'(ERROR|WARN|INFO)' as level,"
                      rb"\s+'[A-Z]+' as facing,\s+array\['(SECURITY|PERFORMANCE)'\] as categories")


def bundled_lints(binary: Path) -> set[AdvisorLint]:
    """The lints a CLI binary carries, read from its embedded splinter SQL."""
    data = Path(binary).read_bytes()
    return {AdvisorLint(n.decode(), lv.decode(), c.decode()) for n, lv, c in _BUNDLED.findall(data)}


def by_name(name: str) -> AdvisorLint:
    return next(lint for lint in LINTS if lint.name == name)
