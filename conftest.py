"""Root conftest. The harness's pytest plugin loads through its `pytest11` entry point (see
pyproject.toml), so nothing needs loading here; this file marks the repository root, which puts
it on sys.path for `tests.canaries` (the inner runs import broken MFA implementations from it)."""
