"""Small real networks on this machine for the firewall suite: network namespaces joined by
veth links, each with its own kernel network stack and its own iptables.

Nothing here touches the machine's own network namespace beyond creating and deleting named
namespaces; every address used lives only inside them.
"""
