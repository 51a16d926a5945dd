"""What the stack makes reachable from outside the box, by definition: only nginx's 80/443 and
Supavisor's 5432/6543 (which the firewall allowlists); Kong on 127.0.0.1 for nginx; Studio
and everything else on the compose network only. Needs no server."""
from __future__ import annotations

import pytest

from spine_harness.deployment.architecture import ALLOWLIST_PORTS, PUBLIC_PORTS
from spine_harness.deployment import ports
from spine_harness.deployment.definition import StackDefinition


@pytest.fixture(scope="module")
def stack(stack_dir) -> StackDefinition:
    return StackDefinition.load(stack_dir)


@pytest.fixture(scope="module")
def openings(stack) -> list[ports.Opening]:
    return ports.compose_openings(stack.compose) + ports.nginx_openings(stack.root)


def test_published_ports_follow_the_ports_table(openings):
    problems = [p for o in openings if (p := ports.port_problem(o))]
    assert not problems, "ports the architecture's table does not allow:\n  " + "\n  ".join(problems)


def test_only_the_edge_and_the_pooler_face_outside(openings):
    allowed = set(PUBLIC_PORTS) | set(ALLOWLIST_PORTS)
    outside = ports.reachable_from_outside(openings)
    extra = {port: where for port, where in outside.items() if port not in allowed}
    assert not extra, f"reachable from outside beyond {sorted(allowed)}: {extra}"


@pytest.mark.parametrize("name, may_publish_on", [("kong", "loopback"), ("studio", "nothing")])
def test_gateway_and_studio_stay_inside(stack, name, may_publish_on):
    published = stack.compose.service(name).ports
    leaks = [p.describe() for p in published if may_publish_on == "nothing" or not p.on_loopback_only]
    assert not leaks, f"{name} may be published on {may_publish_on} only, but publishes {leaks}"
