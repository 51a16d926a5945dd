#!/usr/bin/env bash
# Apply the Spine's host firewall, IPv4 and IPv6, from the architecture's ports table:
#   22, 80, 443   open
#   5432, 6543    Supavisor: only from ALLOWED_DB_IPS (IPv4/IPv6 addresses or CIDRs, comma-separated)
#   anything else dropped
#
#   sudo ALLOWED_DB_IPS=203.0.113.7,2001:db8::/64 stack/scripts/firewall-setup.sh [--dry-run]
#
# Docker publishes container ports through DNAT and the FORWARD chain, which INPUT rules (ufw)
# never see; the same allowlist therefore also guards Docker's DOCKER-USER chain, matched on
# the port the client asked for. An empty or malformed ALLOWED_DB_IPS is refused and nothing
# changes. Running it again gives the same rules. --dry-run prints the rules and applies none.
#
# The rules are built by the Spine harness (`python -m spine_harness firewall`, tested by its
# firewall suite); PYTHON names the interpreter it is installed in (default: the checkout's
# .venv made by `make setup`, else python3).
set -euo pipefail

checkout_python="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv/bin/python"
if [ -x "$checkout_python" ]; then default_python="$checkout_python"; else default_python=python3; fi
python="${PYTHON:-$default_python}"
if ! "$python" -c 'import spine_harness' 2>/dev/null; then
  echo "firewall-setup: $python cannot import spine_harness: install the harness (make setup) or set PYTHON" >&2
  exit 1
fi

"$python" -m spine_harness firewall --allowed "${ALLOWED_DB_IPS:-}" "$@"
