"""The compiled kernels' build and cache (``nativebuild``), the same for each kernel:
built where there is a compiler and loaded from the cache afterwards, each its own
library named after its source, and none where there is no compiler, it fails, or
``AL_NATIVE=0``."""

import shutil

import pytest

from al_core.learning import nativebits, nativebuild, nativechains, nativekeys

KERNELS = pytest.mark.parametrize(
    ("module", "stem"),
    [(nativebits, "bitsums"), (nativekeys, "rowkeys"), (nativechains, "chains")],
    ids=["bits", "keys", "chains"],
)


@KERNELS
def test_the_kernel_is_built_where_there_is_a_compiler(fresh_kernel, module, stem):
    assert shutil.which("cc") is not None, "make test installs Debian's gcc"
    assert module.kernel() is not None
    (built,) = fresh_kernel.glob(f"{stem}-*.so")
    # Loaded, not rebuilt, by the next process (here: the next first call).
    module._loaded.clear()
    assert module.kernel() is not None
    assert list(fresh_kernel.glob(f"{stem}-*.so")) == [built]


@KERNELS
def test_each_kernel_is_its_own_library_named_after_its_source(fresh_kernel, module, stem):
    assert module.kernel() is not None
    assert [p.name.split("-")[0] for p in fresh_kernel.glob("*.so")] == [stem]
    assert nativebuild.cache_dir() == fresh_kernel


@KERNELS
@pytest.mark.parametrize("compiler", ["/nonexistent/cc", "false"])  # none; exits 1
def test_no_working_compiler_means_no_kernel(fresh_kernel, monkeypatch, module, stem, compiler):
    monkeypatch.setenv("CC", compiler)
    assert module.kernel() is None
    assert list(fresh_kernel.iterdir()) == []


@KERNELS
def test_al_native_0_turns_it_off(fresh_kernel, monkeypatch, module, stem):
    monkeypatch.setenv("AL_NATIVE", "0")
    assert module.kernel() is None
    assert list(fresh_kernel.iterdir()) == []  # not even built
