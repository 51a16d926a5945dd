"""The pytest plugin's plumbing, tested with pytester the way pytest-xdist tests its own: the
options and variables reach the code, bad values are refused in one line, strict mode turns an
undeclared skip into a failure, and the plugin loads from outside the checkout."""
from __future__ import annotations

import json

import pytest

from spine_harness.targets.model import Capability, Target

pytest_plugins = ["pytester"]

SETTINGS_PROBE = """
def test_settings(spine_settings, spine_kind):
    print("SETTINGS", spine_settings.target, spine_settings.strict, spine_settings.allow_writes,
          spine_settings.stack_dir.name, spine_settings.mfa_implementation, spine_kind.name)
"""


def _attach_file(path, capabilities, lacks=None) -> str:
    target = Target(name="remote", capabilities=frozenset(capabilities), lacks=lacks or {},
                    direct_dsn="host=127.0.0.1 port=1 user=x password=hunter2-secret-value dbname=x")
    return str(target.write_attach_file(path))


def run(pytester, *args):
    """Like pytest's own users run it: no checkout, no conftest; Locust's plugin kept out as the
    project's own configuration keeps it out (importing locust monkey-patches the process)."""
    return pytester.runpytest_subprocess("-p", "no:locust", "-p", "no:cacheprovider", *args)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("SPINE_TARGET", "SPINE_ATTACH", "SPINE_STRICT", "SPINE_ALLOW_WRITES", "SPINE_STACK_DIR",
                 "SPINE_MFA_IMPLEMENTATION", "SPINE_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_options_reach_the_settings(pytester, clean_env, tmp_path):
    pytester.makepyfile(SETTINGS_PROBE)
    stack = tmp_path / "mystack"
    stack.mkdir()
    result = run(pytester, "-s", "--spine-target", "local",
                                           "--spine-strict", "--spine-allow-writes", "--spine-stack-dir", str(stack),
                                           "--spine-mfa-implementation", "pkg:IMPL")
    result.stdout.fnmatch_lines(["*SETTINGS local True True mystack pkg:IMPL local"])
    assert result.ret == 0


def test_variables_reach_the_settings(pytester, clean_env, tmp_path):
    pytester.makepyfile(SETTINGS_PROBE)
    clean_env.setenv("SPINE_STRICT", "1")
    clean_env.setenv("SPINE_ALLOW_WRITES", "1")
    clean_env.setenv("SPINE_STACK_DIR", str(tmp_path))
    clean_env.setenv("SPINE_MFA_IMPLEMENTATION", "a:B")
    result = run(pytester, "-s")
    result.stdout.fnmatch_lines([f"*SETTINGS local True True {tmp_path.name} a:B local"])


def test_the_command_line_wins_over_the_environment(pytester, clean_env):
    pytester.makepyfile(SETTINGS_PROBE)
    clean_env.setenv("SPINE_TARGET", "compose")
    result = run(pytester, "-s", "--spine-target", "local")
    result.stdout.fnmatch_lines(["*SETTINGS local *"])


@pytest.mark.parametrize("args, env, message", [
    (["--spine-target", "staging"], {}, "--spine-target 'staging' is not a target: use one of local, compose, remote"),
    ([], {"SPINE_TARGET": "prod"}, "SPINE_TARGET 'prod' is not a target"),
    ([], {"SPINE_STRICT": "yes"}, "SPINE_STRICT must be 1 or 0"),
    (["--spine-target", "remote"], {}, "target 'remote' needs SPINE_DB_URL"),
])
def test_bad_values_are_refused_in_one_line(pytester, clean_env, args, env, message):
    pytester.makepyfile(SETTINGS_PROBE)
    for name, value in env.items():
        clean_env.setenv(name, value)
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors and message in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_strict_mode_fails_an_undeclared_skip_and_accepts_a_declared_one(pytester, clean_env, tmp_path):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.needs("pooler")
        def test_undeclared():
            pass

        @pytest.mark.needs("gateway")
        def test_declared():
            pass
    """)
    attach = _attach_file(tmp_path / "t.json", {Capability.DATABASE}, {Capability.GATEWAY: "no Kong here"})
    relaxed = run(pytester, "--spine-attach", attach, "-rs")
    relaxed.assert_outcomes(skipped=2)
    strict = run(pytester, "--spine-attach", attach, "--spine-strict", "-rs")
    strict.assert_outcomes(skipped=1, errors=1)
    strict.stdout.fnmatch_lines(["*strict: target 'remote' lacks the pooler*"])


def test_the_plugin_loads_outside_the_checkout(pytester, clean_env, tmp_path):
    """pytester runs in a fresh directory with no conftest: only the entry point can load it."""
    pytester.makepyfile("""
        def test_spine(spine):
            assert spine.name == "remote"
    """)
    attach = _attach_file(tmp_path / "t.json", set())
    result = run(pytester, "--spine-attach", attach)
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "conftest.py").exists()


def test_a_bad_attach_file_is_one_line(pytester, clean_env, tmp_path):
    pytester.makepyfile(SETTINGS_PROBE)
    for text, message in (("[1, 2]", "holds a JSON list"), ("{", "is not JSON"),
                          (json.dumps({"name": "x"}), "lacks capabilities"),
                          (json.dumps({"name": "x", "capabilities": ["warp drive"]}), "'warp drive' is not a valid")):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        result = run(pytester, "--spine-attach", str(bad))
        assert result.ret == pytest.ExitCode.USAGE_ERROR, text
        errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
        assert errors and message in errors[0], (text, result.stderr.str())


def test_a_failing_check_never_shows_a_password(pytester, clean_env, tmp_path):
    """A check that fails with a DSN in its message and locals: the terminal and JUnit mask it."""
    pytester.makepyfile("""
        def test_quotes_the_dsn(spine):
            dsn = spine.direct_dsn
            assert dsn is None, f"could not use {dsn}"
    """)
    attach = _attach_file(tmp_path / "t.json", set())
    junit = tmp_path / "junit.xml"
    result = run(pytester, "--spine-attach", attach, "-l",
                                           "--junitxml", str(junit))
    result.assert_outcomes(failed=1)
    everything = result.stdout.str() + result.stderr.str() + junit.read_text()
    assert "****" in everything
    assert "hunter2-secret-value" not in everything


def test_an_unreachable_target_stops_the_run_in_one_line(pytester, clean_env, tmp_path):
    """Not a failure per check: one line naming the endpoint (no password), exit code 6."""
    pytester.makepyfile("""
        import pytest

        @pytest.fixture(scope="session")
        def conn(spine):
            return spine.direct_dsn

        @pytest.mark.parametrize("n", range(5))
        def test_uses_the_database(conn, n):
            pass
    """)
    clean_env.setenv("SPINE_DB_URL", "postgresql://x:SuperSecretPw@127.0.0.1:1/postgres")
    junit = tmp_path / "junit.xml"
    result = run(pytester, "--spine-target", "remote", "--junitxml", str(junit))
    assert result.ret == 6
    everything = result.stdout.str() + result.stderr.str() + (junit.read_text() if junit.exists() else "")
    assert "SuperSecretPw" not in everything
    result.stdout.fnmatch_lines(["*target 'remote' unreachable: SPINE_DB_URL (x@127.0.0.1:1/postgres): *port 1 failed*"])
    assert "Traceback" not in everything and " failed," not in result.stdout.str()
