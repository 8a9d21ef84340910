"""The engine's rooms: imports only point down the layers, and nothing imports the UI."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "al_core"
RANK = {
    "errors": 0,
    "threads": 0,
    "data": 1,
    "learning": 2,
    "simulation": 3,
    "projects": 4,
    "review": 5,
}
TOP = 6  # cli.py, __main__.py and the package's own __init__ (the public API)


def _rank(module: Path) -> int:
    part = module.relative_to(CORE).parts[0].removesuffix(".py")
    return RANK.get(part, TOP)


def _imports(module: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("module", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.name))
def test_imports_point_down_the_layers(module):
    for name in _imports(module):
        assert not name.startswith(("al_ui", "streamlit")), f"{module} imports {name}"
        if not name.startswith("al_core."):
            continue
        target = name.split(".")[1]
        assert RANK.get(target, TOP) <= _rank(module), f"{module} imports {name} (upwards)"
