"""Medians, percentiles and the machine description shared by the benchmarks."""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime

import numpy as np


def summarize(samples_s: list[float]) -> dict:
    a = np.asarray(samples_s) * 1e3
    return {
        "n": int(a.size),
        "p50_ms": float(np.median(a)),
        "p90_ms": float(np.percentile(a, 90)),
        "p99_ms": float(np.percentile(a, 99)),
    }


def machine() -> dict:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0
