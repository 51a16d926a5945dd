"""The TLS edge (nginx in front of Kong): where the suite finds it, the local stand-in for Kong,
TLS probes with real clients, and nginx's own view of its configuration."""
