"""Python's garbage collector kept off the path from a key press to the next sample.

Streamlit runs a full collection (``gc.collect(2)``, ``runner.postScriptGC``) after
every script run, on the script's thread, just after the run's last message is queued:
the collection holds the interpreter while the event loop waits to send the page, and
it walks every object of the process, most of them the module objects of numpy,
pandas, scikit-learn, SciPy and Streamlit, which live as long as the process. In a
browser that was most of a key press's wait (a page of one button: 62 ms with the
collection, 20 ms with those objects frozen; benchmarks/RESULTS.md).

``freeze_modules`` moves what is alive to the collector's permanent generation
(``gc.freeze``) after a collection, each time new modules were imported (a page opened
for the first time): later collections walk only what scripts made since. Frozen
objects are still freed when their last reference goes; only cycles among them are
never collected, and a collection first frees what is garbage then.
"""

from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_at_freeze = 0


def freeze_modules() -> bool:
    """Collect, then freeze every live object, if modules were imported since the last
    time; True when it froze now. Call at the end of a script run."""
    global _modules_at_freeze
    if len(sys.modules) == _modules_at_freeze:
        return False
    with _lock:
        if len(sys.modules) == _modules_at_freeze:  # another session's run did it
            return False
        gc.collect()
        gc.freeze()
        _modules_at_freeze = len(sys.modules)
    return True
