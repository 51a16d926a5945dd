"""Capacity runs: the psycopg Locust client, the Spine's typical transactions, the seeded
population they run against, the ramp, server-side sampling and the capacity report.

Only the modules the locustfile alone uses (shape, run) import locust, so the harness's own tests
can import the rest without gevent's monkey-patching.
"""
