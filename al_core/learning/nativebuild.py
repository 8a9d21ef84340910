"""Building and loading the engine's C kernels (``native/*.c``), where a C compiler is.

A kernel is compiled on first use with the system's C compiler (``$CC``, else ``cc``),
for this machine's instructions (``-march=native``; without it where the compiler does
not take it), without ``-ffast-math`` and without the C library (``-nostdlib``: no
headers or C runtime needed), into a cache directory (``$AL_NATIVE_DIR``, else
``$XDG_CACHE_HOME/al_core``, else ``~/.cache/al_core``), named by a hash of the source,
the flags, the compiler and the processor; later processes load it. ``AL_NATIVE=0``
turns every kernel off. Each kernel's module checks it against numpy once loaded, and
keeps numpy's passes where it cannot be built or disagrees.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

NATIVE_DIR = Path(__file__).with_name("native")
"""Where the kernels' sources are."""

FLAG_SETS = (
    ("-O3", "-march=native", "-ffp-contract=fast", "-fno-fast-math"),
    ("-O3", "-ffp-contract=fast", "-fno-fast-math"),
)
"""Flags tried in turn: the first set the compiler takes is used."""

_COMMON = ("-shared", "-fPIC", "-std=gnu11", "-nostdlib")

_lock = threading.Lock()


def enabled() -> bool:
    """Whether kernels may be used (``AL_NATIVE=0`` turns them off)."""
    return os.environ.get("AL_NATIVE", "1") != "0"


def cache_dir() -> Path:
    """Where compiled kernels are kept."""
    if os.environ.get("AL_NATIVE_DIR"):
        return Path(os.environ["AL_NATIVE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "al_core"


def libraries(source: Path) -> Iterator[ctypes.CDLL]:
    """The kernel ``source`` built with each of ``FLAG_SETS`` that the compiler takes,
    loaded, best first (none where there is no compiler)."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return
    for flags in FLAG_SETS:
        library = _build(source, compiler, flags)
        if library is not None:
            yield library


def load_once(
    loaded: dict[Path, Callable | None],
    source: Path,
    wrap: Callable,
    check: Callable[..., bool],
) -> Callable | None:
    """The kernel of ``source``: ``wrap(library)`` of its first build that loads, if
    that passes ``check``; None where kernels are turned off, or it cannot be built or
    fails the check. Built or loaded once, kept in ``loaded`` (its module's)."""
    if not enabled():
        return None
    with _lock:
        if source not in loaded:
            loaded[source] = _first_checked(source, wrap, check)
        return loaded[source]


def _first_checked(source: Path, wrap: Callable, check: Callable[..., bool]) -> Callable | None:
    for library in libraries(source):
        function = wrap(library)
        return function if check(function) else None
    return None


def _build(source: Path, compiler: str, flags: tuple[str, ...]) -> ctypes.CDLL | None:
    text = source.read_bytes()
    key = hashlib.sha256(
        b"\0".join([text, " ".join(flags).encode(), compiler.encode(), _processor()])
    ).hexdigest()[:16]
    target = cache_dir() / f"{source.stem}-{key}.so"
    try:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Built beside the target and renamed: a process that loads it meanwhile
            # sees the whole file or none.
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                built = Path(tmp) / target.name
                command = [compiler, *flags, *_COMMON, "-o", str(built), str(source)]
                done = subprocess.run(command, capture_output=True, timeout=120, check=False)
                if done.returncode != 0:
                    return None
                os.replace(built, target)
        return ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError):
        return None


def _processor() -> bytes:
    """What ``-march=native`` builds for: the machine and its instruction flags."""
    flags = b""
    try:
        for line in Path("/proc/cpuinfo").read_bytes().splitlines():
            if line.startswith((b"flags", b"Features")):
                flags = line
                break
    except OSError:
        pass
    return platform.machine().encode() + b"\0" + flags


def is_vector(a: np.ndarray | None, dtype: type, size: int) -> bool:
    """Whether ``a`` is a C-contiguous array of ``size`` values of ``dtype``."""
    return a is not None and a.dtype == dtype and a.shape == (size,) and a.flags.c_contiguous
