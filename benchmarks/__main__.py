"""Run the benchmarks and print their tables.

    python -m benchmarks [all|save,engine,load,click] [OUTPUT.json]

Writes the numbers (machine-readable) to ``benchmarks/OUTPUT.json``, default
``results.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from al_core.threads import pin_threads

from . import save
from .timing import machine


def main(argv: list[str]) -> int:
    parts = set((argv[0] if argv else "all").split(","))
    if "all" in parts:
        parts = {"save", "engine", "load", "click"}
    out_name = argv[1] if len(argv) > 1 else "results.json"
    pin_threads(1)
    import sklearn

    results = {"machine": {**machine(), "scikit-learn": sklearn.__version__}}
    if "save" in parts:
        results["save"] = save.run()
        print("## Saving labels\n")
        print(save.table(results["save"]))
    if "engine" in parts:
        from . import engine

        results["engine"] = engine.run()
        print("\n## Engine step\n")
        print(engine.table(results["engine"]))
    if "load" in parts:
        from . import load

        results["load"] = load.run()
        print("\n## Many annotators at once\n")
        print(load.table(results["load"]))
    if "click" in parts:
        from . import click

        results["click"] = click.run()
        print("\n## Key press to next sample\n")
        print(click.table(results["click"]))
    out = Path(__file__).parent / out_name
    if out.exists():  # a partial run updates its own parts and keeps the others
        results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return 0


sys.exit(main(sys.argv[1:]))
