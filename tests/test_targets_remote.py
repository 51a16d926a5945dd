"""The remote target from environment variables: capabilities follow what is given, a missing
or malformed variable stops it with one line naming the variable (never its value), and it is
read-only unless SPINE_ALLOW_WRITES=1."""
from __future__ import annotations

import pytest

from spine_harness.config.settings import Settings, SettingsError
from spine_harness.targets import Capability, TargetUnavailable
from spine_harness.targets.remote import RemoteDeployment, target_from_settings


def target_from_environment(environ: dict[str, str]):
    return target_from_settings(Settings.resolve(environ=environ))

DSN = "postgresql://postgres:s3cret-value@127.0.0.1:5432/postgres"
FULL = {"SPINE_DB_URL": DSN, "SPINE_POOLER_URL": DSN.replace("5432", "6543"),
        "SPINE_API_DB_URL": DSN.replace("postgres:", "authenticator:").replace("5432", "6543"),
        "SPINE_GATEWAY_URL": "http://127.0.0.1:8000", "SPINE_EDGE_URL": "https://127.0.0.1",
        "SPINE_JWT_SECRET": "j" * 40, "SPINE_ANON_KEY": "a.b.c", "SPINE_SERVICE_ROLE_KEY": "d.e.f"}


def test_everything_given():
    target = target_from_environment(FULL)
    assert target.capabilities - {Capability.ADVISORS} == {Capability.DATABASE, Capability.POOLER, Capability.GATEWAY, Capability.EDGE}
    assert set(target.lacks) == {Capability.FIREWALL_HOST, Capability.SCRATCH_DATABASES, Capability.RESTARTABLE_SERVERS}
    assert (target.direct_dsn, target.gateway_url, target.anon_key) == (DSN, FULL["SPINE_GATEWAY_URL"], "a.b.c")
    assert not target.writable


def test_database_only():
    target = target_from_environment({"SPINE_DB_URL": DSN})
    assert target.capabilities - {Capability.ADVISORS} == {Capability.DATABASE}
    assert target.lacks[Capability.GATEWAY] == "SPINE_GATEWAY_URL not set"
    kind = RemoteDeployment(Settings.resolve(environ={"SPINE_DB_URL": DSN}))
    assert "SPINE_POOLER_URL" in kind.missing_reason(Capability.POOLER)


@pytest.mark.parametrize("value, writable", [("1", True), ("0", False)])
def test_writes_only_when_allowed(value, writable):
    assert target_from_environment(FULL | {"SPINE_ALLOW_WRITES": value}).writable is writable


@pytest.mark.parametrize("environ, message", [
    ({}, "target 'remote' needs SPINE_DB_URL"),
    ({"SPINE_DB_URL": "host=127.0.0.1 password=s3cret-value nonsense"}, "SPINE_DB_URL is not a libpq connection"),
    ({"SPINE_DB_URL": DSN, "SPINE_GATEWAY_URL": "ftp://s3cret-value"}, "SPINE_GATEWAY_URL is not an http(s):// URL"),
    ({"SPINE_DB_URL": DSN, "SPINE_GATEWAY_URL": "http://127.0.0.1:8000"},
     "has SPINE_GATEWAY_URL but not SPINE_ANON_KEY, SPINE_SERVICE_ROLE_KEY"),
    ({"SPINE_DB_URL": DSN, "SPINE_ALLOW_WRITES": "yes"}, "SPINE_ALLOW_WRITES must be 1"),
])
def test_bad_input_stops_with_one_line(environ, message):
    with pytest.raises((TargetUnavailable, SettingsError)) as caught:
        target_from_environment(environ)
    text = str(caught.value)
    assert message in text and "\n" not in text and "s3cret-value" not in text


def test_advisors_where_the_cli_is_installed(monkeypatch):
    """The advisors come with a database wherever the pinned Supabase CLI is installed, else
    their skip names the missing tool (and strict mode fails on it: it is no declared lack)."""
    from spine_harness.advisors import cli
    from spine_harness.targets.remote import RemoteDeployment
    from spine_harness.config.settings import Settings
    settings = Settings().replace(target="remote", remote={"SPINE_DB_URL": "postgresql://u:p@127.0.0.1:1/db"})
    monkeypatch.setattr(cli, "unavailable_reason", lambda: None)
    assert Capability.ADVISORS in RemoteDeployment(settings).capabilities
    monkeypatch.setattr(cli, "unavailable_reason", lambda: "the Supabase CLI 2.117.0 is not installed")
    kind = RemoteDeployment(settings)
    assert Capability.ADVISORS not in kind.capabilities and Capability.ADVISORS not in kind.lacks
    assert "Supabase CLI 2.117.0 is not installed" in kind.missing_reason(Capability.ADVISORS)
