"""Run the benchmarks and print their tables.

    python -m benchmarks [save|engine|load|click|all] [OUTPUT.json]

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
    what = argv[0] if argv else "all"
    out_name = argv[1] if len(argv) > 1 else "results.json"
    pin_threads(1)
    import sklearn

    results = {"machine": {**machine(), "scikit-learn": sklearn.__version__}}
    if what in ("save", "all"):
        results["save"] = save.run()
        print("## Saving labels\n")
        print(save.table(results["save"]))
    if what in ("engine", "all"):
        from . import engine

        results["engine"] = engine.run()
        print("\n## Engine step\n")
        print(engine.table(results["engine"]))
    if what in ("load", "all"):
        from . import load

        results["load"] = load.run()
        print("\n## Many annotators at once\n")
        print(load.table(results["load"]))
    if what in ("click", "all"):
        from . import click

        results["click"] = click.run()
        print("\n## Key press to next sample\n")
        print(click.table(results["click"]))
    out = Path(__file__).parent / out_name
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return 0


sys.exit(main(sys.argv[1:]))
