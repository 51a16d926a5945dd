"""Real servers from Debian packages, started on loopback for the local target.

One small class per server, each with start, readiness and stop, after testcontainers.
"""
