"""Shared fixtures: small datasets and sessions, BLAS pinned to one thread."""

import numpy as np
import pytest

from al_core import load_builtin
from al_core.learning import nativebits, nativechains, nativekeys
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


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the whole test session (Debian's binaries)."""
    import os

    from pg_server import TempPostgres, binaries

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing; `make test` installs it with apt-get")
        pytest.skip("PostgreSQL is missing: sudo apt-get install postgresql")
    server = TempPostgres().start()
    yield server
    from al_core.projects.pgstore import close_pools

    close_pools()
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def place(request, tmp_path):
    """Where a test's projects live: ``Project.create(..., **place)`` in either store."""
    if request.param == "sqlite":
        return {"folder": tmp_path}
    return {"url": request.getfixturevalue("postgres_server").new_database()}


@pytest.fixture
def fresh_kernel(monkeypatch, tmp_path):
    """The compiled kernels built anew into an empty cache directory (returned)."""
    for module in (nativebits, nativekeys, nativechains):
        monkeypatch.setattr(module, "_loaded", {})
    monkeypatch.setenv("AL_NATIVE_DIR", str(tmp_path))
    return tmp_path
