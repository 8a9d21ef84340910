"""Run the benchmarks and print their tables: ``python -m benchmarks [save|engine|all]``.

Writes ``benchmarks/results.json`` (machine-readable) next to the printed tables.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

from . import save
from .timing import machine


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    threadpool_limits(1)
    results = {"machine": machine()}
    if what in ("save", "all"):
        results["save"] = save.run()
        print("## Saving labels\n")
        print(save.table(results["save"]))
    if what in ("engine", "all"):
        from . import engine

        results["engine"] = engine.run()
        print("\n## Engine step\n")
        print(engine.table(results["engine"]))
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return 0


sys.exit(main(sys.argv[1:]))
