"""Shared fixtures. Tests marked `services` run against the real stack that `fasttrading stack up`
starts (or reuses): the session fixture brings it up once, so `pytest` alone is enough."""

from __future__ import annotations

import pytest

from infra.stack import services


@pytest.fixture(scope="session")
def stack() -> services.StackConfig:
    config = services.StackConfig.from_env()
    services.up(config)
    return config
