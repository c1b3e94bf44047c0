"""The shape of the package: imports point one way, modules stay short, the public API is whole."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gearshift

PACKAGE = Path(gearshift.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Every gearshift module this one imports, at the top or inside a function; not for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against this module's package
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}"
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] == "gearshift"}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path, name) if m in modules and m != name} for name, path in modules.items()}


def test_no_import_cycle_between_gearshift_modules() -> None:
    graph = _graph()
    # a package's __init__ is imported by every submodule implicitly; only explicit imports count
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                cycles.append([*trail[trail.index(child) :], child] if child in trail else [node, child])
            elif child not in state:
                visit(child, [*trail, child])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_module_over_450_lines_and_no_class_over_300() -> None:
    long_modules = {}
    long_classes = {}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 450:
            long_modules[path.name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno and node.end_lineno - node.lineno + 1 > 300:
                long_classes[node.name] = node.end_lineno - node.lineno + 1
    assert long_modules == {}
    assert long_classes == {}


def test_the_public_api_is_importable_from_the_top() -> None:
    for name in gearshift.__all__:
        assert getattr(gearshift, name) is not None, name
    assert issubclass(gearshift.StepFailed, gearshift.GearshiftError)
    assert issubclass(gearshift.ReplyFormatError, gearshift.ProviderError)
    assert issubclass(gearshift.ConfigError, gearshift.UsageError)
    assert (PACKAGE / "py.typed").exists()


def test_import_gearshift_loads_no_sdk_and_no_pydantic() -> None:
    code = "import sys, gearshift; print(sorted(m for m in ('openai', 'anthropic', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
