"""A reentrant lock granted in arrival order.

Every browser session of a server shares one ``Project``; its lock is held while a
label is saved and the model refit. Python's own locks let a thread that just released
take the lock straight back, so under load one annotator could wait a second while
others labeled; first come, first served bounds each wait by the queue ahead of it.
"""

from __future__ import annotations

import threading
from collections import deque


class FairRLock:
    """Reentrant, first-come-first-served; usable as a context manager."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()

    def acquire(self) -> bool:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            self._queue.append(me)
            while self._owner is not None or self._queue[0] != me:
                self._cond.wait()
            self._queue.popleft()
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a lock this thread does not hold")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def __enter__(self) -> FairRLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
