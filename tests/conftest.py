"""Shared fixtures: small datasets and sessions, BLAS pinned to one thread."""

import numpy as np
import pytest

from al_core import load_builtin
from al_core.threads import pin_threads

pin_threads(1)


@pytest.fixture(scope="session")
def tutorial():
    return load_builtin("tutorial", seed=42)


@pytest.fixture(scope="session")
def iris():
    return load_builtin("iris")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
