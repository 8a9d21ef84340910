"""The garbage collector kept off the key press's path (al_ui/collector.py)."""

import gc
import importlib
import sys
import weakref
from pathlib import Path

import pytest

from al_ui import collector


class _Node:
    pass


@pytest.fixture
def fresh_module(tmp_path, monkeypatch):
    """Modules nobody imported yet: importing one is what makes the next freeze due."""
    names = [f"al_fresh_module_{i}" for i in range(2)]
    for name in names:
        (tmp_path / f"{name}.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    left = iter(names)
    yield lambda: importlib.import_module(next(left))
    for name in names:
        sys.modules.pop(name, None)
    gc.unfreeze()


def test_freezes_once_per_new_modules_and_collects_garbage_first(fresh_module):
    fresh_module()
    cycle = _Node()
    cycle.self = cycle  # garbage only a collection frees
    dead = weakref.ref(cycle)
    del cycle
    assert dead() is not None
    assert collector.freeze_modules()
    assert dead() is None  # collected, not frozen
    assert gc.get_freeze_count() > 0
    assert not collector.freeze_modules()  # nothing new imported: nothing to do
    fresh_module()
    assert collector.freeze_modules()


def test_the_app_freezes_its_modules_after_a_run(fresh_module):
    from streamlit.testing.v1 import AppTest

    gc.unfreeze()
    fresh_module()
    AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60).run()
    assert gc.get_freeze_count() > 0
