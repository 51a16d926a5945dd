"""Applying the rule set: every check first, then each family's chains replaced atomically and
the jumps to them made first in INPUT and DOCKER-USER, exactly once, however often it runs."""
from __future__ import annotations

import os
import shutil
import subprocess

from spine_harness.firewall.rules import DOCKER_USER, HOOKS, FamilyRules


class FirewallError(RuntimeError):
    """The rules could not be applied; the message is one line with the command and its answer."""


def _run(cmd: list[str], stdin: str | None = None) -> str:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        answer = (proc.stderr.strip() or proc.stdout.strip()).replace("\n", " | ")
        raise FirewallError(f"`{' '.join(cmd)}` exited {proc.returncode}: {answer}")
    return proc.stdout


def check_can_apply(rule_sets: tuple[FamilyRules, ...]) -> None:
    """Refuse before touching anything: half a rule set (IPv4 without IPv6) would leave a way in."""
    if os.geteuid() != 0:
        raise FirewallError("applying firewall rules needs root (--dry-run only prints them)")
    missing = [tool for rs in rule_sets for tool in (rs.family.tool, rs.family.restore_tool) if not shutil.which(tool)]
    if missing:
        raise FirewallError(f"{', '.join(missing)} not found: install iptables; nothing was changed")
    for rs in rule_sets:
        _run([rs.family.restore_tool, "-w", "--noflush", "--test"], rs.restore_text())


def _ensure_chain(tool: str, chain: str) -> None:
    """Docker creates DOCKER-USER when it starts and keeps what it finds there, so the script
    may run before Docker does."""
    if subprocess.run([tool, "-w", "-S", chain], capture_output=True).returncode != 0:
        _run([tool, "-w", "-N", chain])


def _jump_first(tool: str, parent: str, chain: str) -> None:
    """Exactly one `-j chain`, at position 1 of `parent`."""
    jump = f"-A {parent} -j {chain}"
    rules = [line for line in _run([tool, "-w", "-S", parent]).splitlines() if line.startswith("-A ")]
    positions = [n for n, rule in enumerate(rules, start=1) if rule == jump]
    if positions[:1] == [1]:
        extra = positions[1:]
    else:
        _run([tool, "-w", "-I", parent, "1", "-j", chain])
        extra = [n + 1 for n in positions]
    for n in reversed(extra):
        _run([tool, "-w", "-D", parent, str(n)])


def apply(rule_sets: tuple[FamilyRules, ...]) -> None:
    check_can_apply(rule_sets)
    for rs in rule_sets:
        _run([rs.family.restore_tool, "-w", "--noflush"], rs.restore_text())
        _ensure_chain(rs.family.tool, DOCKER_USER)
        for parent, chain in HOOKS:
            _jump_first(rs.family.tool, parent, chain)
