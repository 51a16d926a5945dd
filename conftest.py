"""Root conftest: loads the harness's pytest plugin for every suite and the harness's own tests,
and the MFA suites' fixtures (keys, the reference or a canary's implementation, marked users)."""
pytest_plugins = ["spine_harness.pytest_plugin", "spine_harness.mfa.fixtures"]
