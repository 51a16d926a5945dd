"""The host firewall of the Spine: the architecture's ports table as iptables/ip6tables rules.

`stack/scripts/firewall-setup.sh` calls `python -m spine_harness firewall`; the logic lives here
so the harness can test it: the allowlist parser (allowlist.py), the rule set (rules.py) and
applying it idempotently (apply.py).
"""
