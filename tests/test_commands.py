"""Every `python -m spine_harness` command: its --help works (argparse formats every help
string, so a stray % fails here), and a user's mistake is one line and exit 2, no traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from spine_harness.__main__ import command_names, main
from spine_harness.config.paths import REPO_ROOT

COMMANDS = command_names()


def test_the_commands_are_found():
    assert {"gate", "up", "seed", "report", "capacity", "check-stack", "firewall"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m spine_harness " + name)


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize("argv, message", [
    (["gate", "--spine-target", "staging"], "'staging' is not a target"),
    (["seed", "--spine-target", "remote"], "target 'remote' needs SPINE_DB_URL"),
    (["seed", "--spine-attach", "/nonexistent/attach.json"], "does not exist"),
])
def test_a_mistake_is_one_line(argv, message):
    env = {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "spine_harness", *argv], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode in (1, 2) and message in output, output
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
