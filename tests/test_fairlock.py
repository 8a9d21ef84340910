"""The project lock: reentrant, and granted in the order threads asked for it."""

import threading
import time

import pytest

from al_core.projects.fairlock import FairRLock


def test_reentrant_and_owned():
    lock = FairRLock()
    with lock, lock:
        pass
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()


def test_waiters_are_served_in_arrival_order():
    lock, order = FairRLock(), []
    lock.acquire()
    threads = []
    for i in range(8):
        t = threading.Thread(target=lambda i=i: (lock.acquire(), order.append(i), lock.release()))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # queue them in a known order
    lock.release()
    for t in threads:
        t.join()
    assert order == list(range(8))
