"""Run the benchmarks and print their tables.

    python -m benchmarks [all|save,engine,load,click,opening,compare] [OUTPUT.json]

Writes the numbers (machine-readable) to ``benchmarks/OUTPUT.json``, default
``results.json``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from al_core.threads import pin_threads

from .timing import machine

PARTS = {
    "save": "Saving labels",
    "engine": "Engine step",
    "load": "Many annotators at once",
    "click": "Key press to next sample",
    "opening": "Opening a project",
    "compare": "Comparisons in seconds",
}


def main(argv: list[str]) -> int:
    parts = set((argv[0] if argv else "all").split(","))
    if "all" in parts:
        parts = set(PARTS)
    unknown = parts - set(PARTS)
    if unknown:
        print(f"unknown part {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}, all")
        return 2
    out_name = argv[1] if len(argv) > 1 else "results.json"
    pin_threads(1)
    import sklearn

    results = {"machine": {**machine(), "scikit-learn": sklearn.__version__}}
    for name, title in PARTS.items():
        if name in parts:
            # Imported on demand: the modAL environment has no Playwright for `click`.
            module = importlib.import_module(f"benchmarks.{name}")
            results[name] = module.run()
            print(f"\n## {title}\n")
            print(module.table(results[name]))
    out = Path(__file__).parent / out_name
    if out.exists():  # a partial run updates its own parts and keeps the others
        results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return 0


sys.exit(main(sys.argv[1:]))
