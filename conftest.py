"""Root conftest: loads the harness's pytest plugin for every suite and the harness's own tests."""
pytest_plugins = ["spine_harness.pytest_plugin"]
