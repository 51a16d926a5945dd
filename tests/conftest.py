"""Fixtures for the harness's own tests: one healthy local Spine per session, to break copies of."""
from __future__ import annotations

import pytest

from tests.canaries import CanaryEnv
from spine_harness.runs.redaction import MASKER
from spine_harness.targets.local import LocalSpine


@pytest.fixture(scope="session")
def local_spine():
    """A real local Spine; canaries clone its template database, never change its own."""
    spine = LocalSpine()
    target = spine.start()
    MASKER.register(target.secret_values())    # the harness's own test output masks them too
    try:
        yield spine
    finally:
        spine.stop()


@pytest.fixture
def canary_env(local_spine, tmp_path) -> CanaryEnv:
    return CanaryEnv(local=local_spine, workdir=tmp_path)
