"""Shared fixtures: small datasets and sessions, BLAS pinned to one thread."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from al_core import load_builtin

threadpool_limits(1)


@pytest.fixture(scope="session")
def tutorial():
    return load_builtin("tutorial", seed=42)


@pytest.fixture(scope="session")
def iris():
    return load_builtin("iris")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
