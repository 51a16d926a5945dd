"""Apply the Spine's host firewall (IPv4 and IPv6): 22, 80 and 443 open, 5432 and 6543 only from
ALLOWED_DB_IPS, on the host and on Docker's published ports alike, everything else dropped.
stack/scripts/firewall-setup.sh runs this. A malformed or empty allowlist changes nothing."""
from __future__ import annotations

import argparse
import os
import sys

from spine_harness.deployment.architecture import ALLOWLIST_PORTS, PUBLIC_PORTS
from spine_harness.firewall import apply, rules
from spine_harness.firewall.allowlist import AllowlistError, parse_allowed_db_ips

HELP = "apply (or --dry-run: print) the host firewall rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allowed", default=os.environ.get("ALLOWED_DB_IPS"), metavar="LIST",
                        help="comma-separated IPv4/IPv6 addresses or CIDRs that may reach "
                             f"{'/'.join(map(str, ALLOWLIST_PORTS))} (default: $ALLOWED_DB_IPS)")
    parser.add_argument("--dry-run", action="store_true", help="print the rules and change nothing")


def run(args: argparse.Namespace) -> int:
    try:
        allowed = parse_allowed_db_ips(args.allowed)
        rule_sets = rules.build(allowed)
        if args.dry_run:
            print("".join(rs.describe() for rs in rule_sets), end="")
            return 0
        apply.apply(rule_sets)
    except (AllowlistError, apply.FirewallError) as exc:
        print(f"firewall: {exc}", file=sys.stderr)
        return 2
    ports = "/".join(map(str, ALLOWLIST_PORTS))
    print(f"firewall applied (IPv4 and IPv6): {', '.join(map(str, PUBLIC_PORTS))} open; {ports} from "
          f"{', '.join(map(str, allowed))}; everything else dropped, Docker's published ports included.")
    print(f"check: iptables -S {rules.INPUT_CHAIN}; iptables -S {rules.DOCKER_USER_CHAIN} (and ip6tables)")
    return 0
