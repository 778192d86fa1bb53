"""The layers stay visible: each package imports only from the layers below it (or its own)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tfcache_nb"

RANK = {
    "errors": 0, "_html": 0, "_atomic": 0, "format": 0,
    "storage": 1, "transport": 1, "netsim": 1,
    "io": 2,
    "cache": 3,
    "inference": 4,
    "experiments": 5,
    "viz": 6, "widgets": 7, "cli": 7,
}


def _layer_of(parts: list[str]) -> str | None:
    return parts[0] if parts and parts[0] in RANK else None


def _imports(path: Path) -> list[list[str]]:
    """Every tfcache_nb module a file imports, as package-relative parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = path.relative_to(PACKAGE).with_suffix("").parts
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(own[: len(own) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                if not node.module:
                    target = [base + [alias.name] for alias in node.names][0]
            elif node.module and node.module.startswith("tfcache_nb"):
                target = node.module.split(".")[1:]
            else:
                continue
            found.append(target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tfcache_nb."):
                    found.append(alias.name.split(".")[1:])
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name not in ("__init__.py",))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path):
    own_layer = _layer_of(list(path.relative_to(PACKAGE).with_suffix("").parts))
    if own_layer is None:
        return
    for target in _imports(path):
        layer = _layer_of(target)
        if layer is None:
            continue
        assert RANK[layer] <= RANK[own_layer], (
            f"{path.relative_to(PACKAGE)} (layer {own_layer}) imports {'.'.join(target)} (layer {layer})")


def test_the_rank_table_covers_every_package():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(RANK)
