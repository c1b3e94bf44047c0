"""Repository facts for routing: files and lines per language, and how coupled the code is.

The import graph is built from each file's import lines (a regular expression per language:
cheap, and good enough to count edges), resolved to files inside the repository. Per-file
results are cached by size and modification time, so a second look at a large tree is fast.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from gearshift.context.files import list_files, read_text

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cc": "c++",
    ".cpp": "c++",
    ".hpp": "c++",
    ".cs": "c#",
    ".swift": "swift",
    ".scala": "scala",
    ".vue": "vue",
    ".svelte": "svelte",
}
_IMPORTS = {
    "python": re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w, ]+)|import\s+([\w.]+))", re.MULTILINE),
    "javascript": re.compile(r"""(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]([^'"]+)['"]"""),
    "go": re.compile(r'^\s*(?:import\s+)?(?:\w+\s+)?"([\w./-]+)"\s*$', re.MULTILINE),
    "rust": re.compile(r"^\s*(?:pub\s+)?mod\s+(\w+)\s*;|^\s*use\s+crate::(\w+)", re.MULTILINE),
    "java": re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+)\s*;", re.MULTILINE),
}
_IMPORTS["typescript"] = _IMPORTS["vue"] = _IMPORTS["svelte"] = _IMPORTS["javascript"]
_IMPORTS["kotlin"] = _IMPORTS["java"]
_JS_EXTENSIONS = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".vue", "/index.ts", "/index.js", "/index.tsx")
# TypeScript's ESM style imports a module by the name it compiles to: these are the sources of each.
_ESM_SOURCES = {"js": ("ts", "tsx"), "jsx": ("tsx",), "mjs": ("mts",), "cjs": ("cts",)}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class RepoFacts:
    files: int = 0
    code_files: int = 0
    lines_of_code: int = 0
    languages: dict[str, dict[str, int]] = field(default_factory=dict)  # language -> files, lines
    modules: int = 0
    import_edges: int = 0
    area: list[str] = field(default_factory=list)  # the files the task most likely touches
    area_reach: int = 0  # modules within two import hops of the area, either direction

    @property
    def average_degree(self) -> float:
        return self.import_edges / self.modules if self.modules else 0.0

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "average_degree": round(self.average_degree, 2)}


def repo_facts(root: Path, task: str = "", *, cache_dir: Path | None = None) -> RepoFacts:
    files = list_files(root)
    cache = _Cache(cache_dir / "facts.json" if cache_dir else None)
    facts = RepoFacts(files=len(files))
    per_language: dict[str, Counter[str]] = {}
    raw_imports: dict[str, tuple[str, list[str]]] = {}
    for path in files:
        language = LANGUAGES.get(PurePosixPath(path).suffix.lower())
        if language is None:
            continue
        entry = cache.get(root, path) or cache.put(root, path, _scan(root / path, language))
        lines, imports = entry
        facts.code_files += 1
        facts.lines_of_code += lines
        counts = per_language.setdefault(language, Counter())
        counts["files"] += 1
        counts["lines"] += lines
        raw_imports[path] = (language, imports)
    cache.save()
    facts.languages = {lang: dict(c) for lang, c in sorted(per_language.items(), key=lambda kv: -kv[1]["lines"])}
    graph = resolve_imports(raw_imports)
    facts.modules = len(raw_imports)
    facts.import_edges = sum(len(targets) for targets in graph.values())
    facts.area = likely_area(task, list(raw_imports)) if task else []
    facts.area_reach = reach(graph, facts.area, hops=2)
    return facts


def likely_area(task: str, paths: Iterable[str], limit: int = 5) -> list[str]:
    """The files whose path words the task names most (a cheap guess; the context map does better)."""
    words = {w for w in _WORD.findall(task.lower()) if len(w) > 2}
    scored = []
    for path in paths:
        path_words = set(_WORD.findall(path.lower()))
        # "token" names tokens.py and "tokens" names token.py: compare stems, not whole words
        score = sum(
            1 for w in words if any(p.startswith(w[:5]) or w.startswith(p[:5]) for p in path_words if len(p) > 2)
        )
        if score:
            scored.append((-score, len(path), path))
    return [path for *_, path in sorted(scored)[:limit]]


def _scan(path: Path, language: str) -> tuple[int, list[str]]:
    text = read_text(path) or ""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0), imports_in(text, language)


def imports_in(text: str, language: str) -> list[str]:
    """The module names or paths a file imports, as written (resolved later against the tree)."""
    pattern = _IMPORTS.get(language)
    imports: list[str] = []
    if pattern is None:
        return imports
    for match in pattern.finditer(text):
        if language == "python" and match.group(1) is not None:
            base = match.group(1)
            names = [n.strip() for n in (match.group(2) or "").split(",") if n.strip()]
            imports.append(base)
            imports += [f"{base}.{n}" if not base.endswith(".") else f"{base}{n}" for n in names]
        else:
            groups = [g for g in match.groups() if g]
            if groups:
                imports.append(groups[0])
    return imports


def resolve_imports(raw: dict[str, tuple[str, list[str]]]) -> dict[str, set[str]]:
    """path -> the repository files it imports."""
    tree = _Tree(sorted(raw))
    graph: dict[str, set[str]] = {}
    for path, (language, imports) in raw.items():
        targets: set[str] = set()
        for name in imports:
            target = _resolve_one(path, language, name, tree)
            if target and target != path:
                targets.add(target)
        graph[path] = targets
    return graph


class _Tree:
    """The names a tree's files answer to, worked out once for all the imports resolved against it.

    In a fixed order: a name two files answer to (app, for app.py and sansio/app.py) goes to the same
    one every run, not to whichever a set happens to yield first.
    """

    def __init__(self, ordered: list[str]) -> None:
        self.ordered = ordered
        self.paths = set(ordered)
        self.by_module: dict[str, str] = {}
        self.go_packages: dict[str, str] = {}  # a directory's name -> its first Go file
        for path in ordered:
            if path.endswith(".go"):
                self.go_packages.setdefault(PurePosixPath(path).parent.name, path)
        # nearest the root first: a bare "import app" means a top-level app.py before a nested one
        for path in sorted(ordered, key=lambda p: (p.count("/"), p)):
            if path.endswith(".py"):
                parts = PurePosixPath(path).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                for start in range(len(parts)):  # "src/pkg/mod.py" answers to pkg.mod and src.pkg.mod
                    self.by_module.setdefault(".".join(parts[start:]), path)


def _resolve_one(path: str, language: str, name: str, tree: _Tree) -> str | None:
    paths = tree.paths
    if language == "python":
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            package = PurePosixPath(path).parent.parts
            package = package[: len(package) - (level - 1)] if level > 1 else package
            name = ".".join([*package, name.lstrip(".")]).strip(".")
        return tree.by_module.get(name)
    if language in ("javascript", "typescript", "vue", "svelte"):
        if not name.startswith("."):
            return None
        base = os.path.normpath(str(PurePosixPath(path).parent / name)).replace(os.sep, "/")
        found = next((base + ext for ext in _JS_EXTENSIONS if base + ext in paths), None)
        stem, dot, suffix = base.rpartition(".")
        if found is None and dot and suffix in _ESM_SOURCES:  # './options.js' written for options.ts
            found = next((f"{stem}.{source}" for source in _ESM_SOURCES[suffix] if f"{stem}.{source}" in paths), None)
        return found
    if language == "go":
        # by the package's last name, as before: resolving the whole import path is more exact, but on
        # goreleaser's 100 commits of the localisation bench it moved MRR by -0.001 and nothing else
        return tree.go_packages.get(name.rsplit("/", 1)[-1])
    if language == "rust":
        parent = PurePosixPath(path).parent
        for candidate in (parent / f"{name}.rs", parent / name / "mod.rs", PurePosixPath("src") / f"{name}.rs"):
            if str(candidate) in paths:
                return str(candidate)
        return None
    if language in ("java", "kotlin"):
        suffix = name.replace(".", "/")
        return next((p for p in tree.ordered if p.rsplit(".", 1)[0].endswith(suffix)), None)
    return None


def reach(graph: dict[str, set[str]], seeds: list[str], hops: int) -> int:
    if not seeds:
        return 0
    neighbours: dict[str, set[str]] = {node: set(targets) for node, targets in graph.items()}
    for node, targets in graph.items():
        for target in targets:
            neighbours.setdefault(target, set()).add(node)
    seen = set(seeds)
    frontier = deque((seed, 0) for seed in seeds)
    while frontier:
        node, depth = frontier.popleft()
        if depth == hops:
            continue
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                frontier.append((other, depth + 1))
    return len(seen)


class _Cache:
    """path -> (size, mtime, lines, imports), kept in one JSON file under .gearshift/cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[object]] = {}
        self.dirty = False
        if path and path.exists():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def get(self, root: Path, path: str) -> tuple[int, list[str]] | None:
        entry = self.entries.get(path)
        if entry is None:
            return None
        stat = (root / path).stat()
        if entry[0] != stat.st_size or entry[1] != stat.st_mtime_ns:
            return None
        return int(entry[2]), list(entry[3])  # type: ignore[call-overload]

    def put(self, root: Path, path: str, value: tuple[int, list[str]]) -> tuple[int, list[str]]:
        stat = (root / path).stat()
        self.entries[path] = [stat.st_size, stat.st_mtime_ns, value[0], value[1]]
        self.dirty = True
        return value

    def save(self) -> None:
        if self.path and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(temporary, self.path)
