"""The import direction of the layers (docs/architecture.md, "Layers"), checked on the source.

Protocol adapters (``connectors/``) call the hub's application services (``hub/services/``),
which use persistence (``hub/persistence/``) and the domain (``hub/domain/``); nothing below
imports what is above. The check reads every module's imports with ``ast`` (no imports run),
so it holds for both environments and fails on the line that breaks the direction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Layers from the top; a module may import its own layer and any layer below it, never above.
# The first matching prefix names a module's layer.
HUB_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("adapters", ("connectors",)),
    ("entry points", ("hub.agents", "hub.retention", "hub.privacy")),
    ("settings", ("hub.settings",)),
    ("services", ("hub.services",)),
    ("persistence", ("hub.persistence",)),
    ("domain", ("hub.domain", "hub.logging")),
)
# Packages each project package must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "common": ("store", "hub", "connectors", "bot", "actions", "migrations", "bench"),
    "store": ("hub", "connectors", "bot", "actions", "bench"),
    "hub": ("connectors", "bot", "actions", "bench", "migrations", "aiohttp", "socketio"),
    "connectors": ("bot", "actions", "bench"),
    "migrations": ("connectors", "bot", "actions", "bench"),
    "actions": ("hub", "connectors", "bench"),
    "bot": ("hub", "connectors", "bench"),
}
# Entry points that may reach past their package's rule: the operators' command migrates the
# database before it touches accounts, like every admin command.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {("hub.agents", "migrations"), ("hub.retention", "migrations"), ("hub.privacy", "migrations")}
)
# Adapters and the composition root may be long-lived, but no hub module grows past this.
MAX_MODULE_LINES = 400


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Absolute names imported by a module (relative imports resolved), with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _layer(name: str) -> int | None:
    for index, (_label, prefixes) in enumerate(HUB_LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    return None


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


HUB_MODULES = [(m, p) for pkg in ("hub", "connectors") for m, p in _modules(pkg)]


@pytest.mark.parametrize(("module", "path"), HUB_MODULES, ids=[m for m, _ in HUB_MODULES])
def test_hub_layers_import_downwards_only(module: str, path: Path) -> None:
    own = _layer(module)
    if own is None:
        return  # every module has a layer: test_every_hub_module_belongs_to_a_layer
    upward = [
        f"line {line}: {name} ({HUB_LAYERS[layer][0]})"
        for name, line in _imports(path, module)
        if (layer := _layer(name)) is not None and layer < own
    ]
    assert not upward, f"{module} ({HUB_LAYERS[own][0]}) imports a layer above it: {upward}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_never_import_what_is_above_them(package: str) -> None:
    broken = [
        f"{module} line {line}: {name}"
        for module, path in _modules(package)
        for name, line in _imports(path, module)
        if any(
            _within(name, banned) and (module, banned) not in ALLOWED
            for banned in FORBIDDEN[package]
        )
    ]
    assert not broken, f"{package} imports what it must not: {broken}"


def test_every_hub_module_belongs_to_a_layer() -> None:
    unplaced = [m for m, _ in HUB_MODULES if _layer(m) is None and m not in {"hub"}]
    assert not unplaced, f"put these in a layer (HUB_LAYERS and docs/architecture.md): {unplaced}"


@pytest.mark.parametrize(("module", "path"), HUB_MODULES, ids=[m for m, _ in HUB_MODULES])
def test_hub_modules_stay_small(module: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines; split it by job"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: a domain module importing a service is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from hub.services.sessions import SessionService\n", encoding="utf-8")
    names = [name for name, _ in _imports(bad, "hub.domain.bad")]
    assert any(_layer(n) is not None and _layer(n) < _layer("hub.domain.bad") for n in names)  # type: ignore[operator]
    relative = tmp_path / "rel.py"
    relative.write_text("from ..services import wiring\n", encoding="utf-8")
    assert "hub.services.wiring" in [n for n, _ in _imports(relative, "hub.domain.rel")]
