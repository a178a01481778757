"""The layers of docs/architecture.md hold in the code: imports only where the table allows, no cycles.

The table in the document is the rule: this test reads it, so the page and the code cannot drift
apart without a red test.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\| `(?P<layer>[a-z_]+)/` \| [^|]+ \| (?P<allowed>[^|]+) \|$")


def layer_table() -> dict[str, set[str]]:
    """layer -> the layers it may import, as the architecture document's table says."""
    table: dict[str, set[str]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            allowed = match["allowed"].strip()
            table[match["layer"]] = set() if allowed == "nothing" else set(re.findall(r"`([a-z_]+)`", allowed))
    return table


LAYERS = layer_table()


def python_files(layer: str) -> list[Path]:
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts[1:2])


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every absolute import in the file, nested and TYPE_CHECKING ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def all_files() -> list[Path]:
    return [path for layer in LAYERS for path in python_files(layer)]


def test_the_table_names_every_top_level_package():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {"dags"}
    assert set(LAYERS) == packages, "docs/architecture.md's layer table and the folders differ"
    for layer, allowed in LAYERS.items():
        assert allowed <= set(LAYERS), (layer, allowed - set(LAYERS))
        assert layer not in allowed


def test_every_import_goes_where_the_layer_table_allows():
    wrong = []
    for path in all_files():
        layer = path.relative_to(ROOT).parts[0]
        for line, module, _ in imports(path):
            target = module.split(".")[0]
            if target in LAYERS and target != layer and target not in LAYERS[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({layer} may not import {target})")
    assert not wrong, "\n".join(wrong)


def test_only_the_demo_uses_the_simulators():
    users = {
        str(path.relative_to(ROOT))
        for path in python_files("tracehub")
        if any(module.split(".")[0] == "simulators" for _, module, _ in imports(path))
    }
    assert users == {"tracehub/demo.py"}


def test_no_import_cycle_between_modules():
    modules = {module_name(path): path for path in all_files()}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for _, module, names in imports(path):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules] or [module]
            graph[name].update(t for t in targets if t in modules and t != name)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as cycle:
        raise AssertionError(f"import cycle: {' imports '.join(reversed(cycle.args[1]))}") from None


def test_no_private_name_is_imported_from_another_module():
    wrong = []
    for path in all_files():
        for line, module, names in imports(path):
            if module.split(".")[0] in LAYERS:
                wrong.extend(f"{path.relative_to(ROOT)}:{line} {module}.{n}" for n in names if n.startswith("_"))
    assert not wrong, "\n".join(wrong)
