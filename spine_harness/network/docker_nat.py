"""The rules Docker (20.10, userland proxy off) writes to publish container ports, for one IP family.

Written as Docker writes them (a DOCKER chain in the nat table reached from PREROUTING and OUTPUT,
DNAT to the container, FORWARD policy DROP with DOCKER-USER jumped to first), so the firewall
script meets the same chains on a namespace as on the real server.
"""
from __future__ import annotations


def docker_rules(version: int, bridge: str, subnet: str, container: str, published: dict[int, int]) -> str:
    """iptables-restore input; `published` maps host port -> container port."""
    loopback = "127.0.0.0/8" if version == 4 else "::1/128"
    target = (lambda port: f"{container}:{port}") if version == 4 else (lambda port: f"[{container}]:{port}")
    dnat = [f"-A DOCKER ! -i {bridge} -p tcp -m tcp --dport {host_port} -j DNAT --to-destination {target(ctr_port)}"
            for host_port, ctr_port in published.items()]
    accept = [f"-A DOCKER -d {container} ! -i {bridge} -o {bridge} -p tcp -m tcp --dport {ctr_port} -j ACCEPT"
              for ctr_port in published.values()]
    return "\n".join([
        "*nat",
        ":DOCKER - [0:0]",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        f"-A OUTPUT ! -d {loopback} -m addrtype --dst-type LOCAL -j DOCKER",
        f"-A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE",
        f"-A DOCKER -i {bridge} -j RETURN",
        *dnat,
        "COMMIT",
        "*filter",
        ":FORWARD DROP [0:0]",
        ":DOCKER - [0:0]",
        ":DOCKER-USER - [0:0]",
        "-A FORWARD -j DOCKER-USER",
        f"-A FORWARD -o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        f"-A FORWARD -o {bridge} -j DOCKER",
        f"-A FORWARD -i {bridge} ! -o {bridge} -j ACCEPT",
        f"-A FORWARD -i {bridge} -o {bridge} -j ACCEPT",
        *accept,
        "-A DOCKER-USER -j RETURN",
        "COMMIT",
        "",
    ])
