"""The reference implementation of the Spine's MFA storage contract, and what its suites share.

The services that do MFA live elsewhere; this package holds the contract they must honour
(TOTP secrets sealed with AES-256-GCM under a versioned key from the environment, recovery
codes kept only as SHA-256 digests, every code accepted at most once) in a form the
conformance suites can run against a real database.
"""
