"""The target model keeps its secrets to itself: no repr or str of a Target, a facade or the
settings shows a password or key, and an attach file round-trips."""
from __future__ import annotations

from spine_harness.config.settings import Settings
from spine_harness.targets.model import Capability, Target

PASSWORD, SECRET, KEY = "pw-never-shown-1", "jwt-secret-never-shown-0123456789", "eyJ.key.never-shown"


def target() -> Target:
    dsn = f"host=127.0.0.1 port=5432 user=postgres password={PASSWORD} dbname=spine"
    return Target(name="local", capabilities=frozenset({Capability.DATABASE, Capability.POOLER}),
                  direct_dsn=dsn, pooler_dsn=dsn, api_dsn=dsn.replace("postgres", "authenticator", 1),
                  pooler_admin_dsn=dsn, jwt_secret=SECRET, anon_key=KEY, service_role_key=KEY + "2",
                  gateway_url="http://127.0.0.1:8000")


def test_no_secret_in_any_repr():
    t = target()
    shown = " ".join([repr(t), str(t), repr(t.database), repr(t.pooler), repr(t.keys), repr(t.gateway_endpoint),
                      f"{t}", repr([t])])
    for secret in (PASSWORD, SECRET, KEY):
        assert secret not in shown
    assert "postgres@127.0.0.1:5432/spine" in shown


def test_no_secret_in_the_settings_repr():
    settings = Settings.resolve(environ={"SPINE_MFA_KEYRING": f"1:{SECRET}", "SPINE_DB_URL": f"postgresql://x:{PASSWORD}@h/db"})
    assert SECRET not in repr(settings) and PASSWORD not in repr(settings)
    assert {SECRET, PASSWORD} <= settings.secrets()


def test_attach_file_round_trip(tmp_path):
    t = target()
    path = t.write_attach_file(tmp_path / "a.json")
    assert path.stat().st_mode & 0o777 == 0o600
    assert Target.read_attach_file(path) == t


def test_child_environment_carries_the_settings_and_nothing_inherited():
    from spine_harness.config.settings import child_environment
    settings = Settings(target="remote", strict=True, mfa_implementation="m:a")
    env = child_environment(settings, base={"PATH": "/bin", "SPINE_ATTACH": "/stale.json", "LOCUST_HOST": "x"})
    assert env == {"PATH": "/bin", "SPINE_TARGET": "remote", "SPINE_STRICT": "1", "SPINE_MFA_IMPLEMENTATION": "m:a"}
    assert Settings.resolve(environ=env) == settings
