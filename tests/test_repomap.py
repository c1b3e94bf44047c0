"""The map worth reading: symbols cut only by the budget (and the cut said), signatures in full,
the attributes and constants a task names, no data files, documents counted per directory, files
the task names first; and a warm map that loads neither the tokenizer nor a grammar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gearshift.context.files import left_out_of_map
from gearshift.context.mentions import mentioned_files
from gearshift.context.repomap import build_map
from gearshift.context.symbols import extract_symbols
from gearshift.context.tokens import counter_for

APP = '''\
"""The application."""

DEFAULT_TIMEOUT = 30
RETRY_STATUS_CODES = frozenset({413, 429, 503})


class Application(Base):  # type: ignore[misc]
    default_config = ImmutableDict(
        {
            "DEBUG": False,
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    testing = False

    def __init__(
        self,
        import_name: str,  # the module's name
        static_folder: str | None = "static",
    ) -> None:
        self.import_name = import_name

''' + "".join(
    f"    def handler_{n:02d}(self, request: Request) -> Response:\n        return Response()\n\n" for n in range(60)
)


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def names(result_symbols: list[dict[str, object]]) -> list[object]:
    return [s["name"] for s in result_symbols]


def test_symbols_are_cut_only_by_the_budget_and_the_cut_says_how_many(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"app/core.py": APP})
    whole = build_map(root, "application handler", cache_path=tmp_path / "c.db", budget=16_384)
    entry = whole.files[0]
    assert entry.path == "app/core.py"
    assert names(entry.symbols)[:2] == ["Application", "__init__"]
    assert [n for n in names(entry.symbols) if str(n).startswith("handler_")] == [f"handler_{n:02d}" for n in range(60)]
    assert entry.more == 0 and "more symbol" not in whole.render()

    cut = build_map(root, "application handler_42", cache_path=tmp_path / "c.db", budget=400)
    entry = cut.files[0]
    shown = names(entry.symbols)
    assert "handler_42" in shown and "Application" in shown  # named first, then classes
    assert 0 < len(shown) < 62
    assert entry.more == 62 - len(shown)
    assert f"  … {entry.more} more symbols\n" in cut.render()
    assert counter_for("gpt-5.4").count(cut.render()) == cut.tokens <= 400


def test_signatures_in_full_without_comments() -> None:
    symbols = {s.name: s for s in extract_symbols("app/core.py", APP.encode())}
    assert symbols["__init__"].signature == (
        'def __init__(self, import_name: str, static_folder: str | None = "static") -> None'
    )
    assert symbols["Application"].signature == "class Application(Base)"
    typescript = b"export function route(\n  path: string,\n  // the handler\n  handler: Handler,\n): Route {\n}\n"
    assert extract_symbols("a.ts", typescript)[0].signature == "function route(path: string, handler: Handler): Route"
    expressions = (
        b"const warnUsage = (method: string) =>\n"
        b"  warn(`${method}() is a compiler hint, only usable inside <script setup>`)\n"
        b"type Mode = 'a' | 'b'\n"
        b"type Props<T, K extends keyof T> = Readonly<T> &\n  { one: 1 } & { two: 2 } & { three: 3 } & { four: 4 }\n"
    )
    assert [s.signature for s in extract_symbols("a.ts", expressions)] == [
        "warnUsage = (method: string) =>",  # a long body is not the signature
        "type Mode = 'a' | 'b'",  # a short one says what the type is
        "type Props<T, K extends keyof T>",
    ]


def test_attributes_and_constants_the_task_names_are_in_the_map(tmp_path: Path) -> None:
    symbols = extract_symbols("app/core.py", APP.encode(), assignments=True)
    assert [(s.name, s.kind) for s in symbols if s.kind in ("attribute", "constant")] == [
        ("DEFAULT_TIMEOUT", "constant"),
        ("RETRY_STATUS_CODES", "constant"),
        ("default_config", "attribute"),
        ("testing", "attribute"),
    ]
    assert extract_symbols("app/core.py", APP.encode()) == [
        s for s in symbols if s.kind not in ("attribute", "constant")
    ]
    root = write(tmp_path / "p", {"app/core.py": APP})

    def shown(task: str) -> list[object]:
        return names(build_map(root, task, cache_path=tmp_path / "c.db").files[0].symbols)

    # by name, or by two words of the value: the setting belongs in default_config
    assert "default_config" in shown("Add a SESSION_COOKIE_PARTITIONED setting for the application")
    assert "default_config" in shown("application config defaults")
    assert "DEFAULT_TIMEOUT" in shown("Make the default timeout of the application configurable")
    plain = shown("application handler")
    assert not {"default_config", "DEFAULT_TIMEOUT", "RETRY_STATUS_CODES", "testing"} & set(plain)


def test_data_lock_and_binary_files_are_not_in_the_map() -> None:
    out = [
        "package-lock.json",
        "uv.lock",
        "web/yarn.lock",
        "go.sum",
        "Cargo.lock",
        "tests/fixtures/users.json",
        "bench/results/run-1.json",
        "data/prices.csv",
        "docs/_static/logo.png",
        "artwork/logo.ai",
        "static/app.min.js",
        "fonts/inter.woff2",
        "dist/app.tar.gz",
    ]
    kept = ["package.json", "packages/core/package.json", "tsconfig.json", "pyproject.toml", "renovate.json"]
    kept += ["src/app.py", "docs/index.rst", "web/app.js", "Makefile", "go.mod"]
    assert [p for p in out if not left_out_of_map(p)] == []
    assert [p for p in kept if left_out_of_map(p)] == []


def test_documents_that_score_low_are_counted_per_directory(tmp_path: Path) -> None:
    files = {f"docs/guide/page{n}.rst": f"Page {n}\n=======\n\nAbout topic {n}.\n" for n in range(30)}
    files.update({f"docs/img/shot{n}.png": "png" for n in range(20)})
    files["docs/sessions.rst"] = "Sessions\n========\n\nThe session cookie and its settings.\n"
    files["app/sessions.py"] = "class SessionCookie:\n    def save_session(self, cookie):\n        pass\n"
    files["app/other.py"] = "def unrelated():\n    pass\n"
    files["CONTRIBUTING.md"] = "How to contribute.\n"
    root = write(tmp_path / "p", files)
    result = build_map(root, "session cookie settings", cache_path=tmp_path / "c.db")
    listed = [f.path for f in result.files]
    assert listed[:2] == ["app/sessions.py", "docs/sessions.rst"]  # a document that matches is listed
    assert not any(p.startswith("docs/guide/") for p in listed)
    assert ("docs/guide", 30) in result.collapsed
    assert "docs/guide/ (30 files)\n" in result.render()
    assert not any("img" in d for d, _ in result.collapsed)  # images are not in the map at all
    assert "app/other.py" in listed  # code is listed, however low it scores
    assert "CONTRIBUTING.md" in listed  # alone in its directory: its path costs what a count would
    with_top = build_map(root, "session cookie settings", cache_path=tmp_path / "c.db", top=40)
    assert with_top.collapsed == [] and len(with_top.files) == 34  # --top lists files, whatever they are


def test_files_the_task_names_rank_first(tmp_path: Path) -> None:
    files = {
        "rich/padding.py": "class Padding:\n    def __init__(self, renderable, pad):\n        pass\n",
        "rich/console.py": "class Console:\n    def print(self, padding):\n        pass\n" * 3,
        "rich/layout.py": "from rich.padding import Padding\n\ndef pad_layout(padding: Padding):\n    pass\n",
        "tests/test_padding.py": "def test_padding():\n    pass\n",
        "tests/test_console.py": "def test_console_padding_expand():\n    padding = 1\n    padding += 1\n",
    }
    root = write(tmp_path / "p", files)
    task = "Fix rich.padding.Padding so that tests/test_padding.py passes when padding is expanded in the console"
    ranked = [f.path for f in build_map(root, task, cache_path=tmp_path / "c.db").files]
    assert ranked[:2] == ["rich/padding.py", "tests/test_padding.py"]
    paths = list(files)
    assert mentioned_files("see padding.py and rich/console.py:12, tests/test_console.py::test_x.", paths) == [
        "rich/padding.py",
        "rich/console.py",
        "tests/test_console.py",
    ]
    assert mentioned_files("rich.padding.Padding, e.g. version 1.2 of rich", paths) == ["rich/padding.py"]
    assert mentioned_files("pad the console layout", paths) == []


@pytest.mark.parametrize("directory", ["docs", "docs/ref", "", "src/my-pkg", "v2", "a.b"])
@pytest.mark.parametrize("count", [1, 7, 42, 999])
def test_a_directory_line_costs_its_head_and_tail(directory: str, count: int) -> None:
    from gearshift.context.maptext import directory_head, directory_tail

    counter = counter_for("gpt-5.4")
    line = directory_head(directory) + directory_tail(count)
    assert counter.count(line) == counter.count(directory_head(directory)) + counter.count(directory_tail(count))


def test_a_warm_map_loads_neither_the_tokenizer_nor_a_grammar(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"app/core.py": APP, "app/views.py": "def index(request):\n    pass\n"})
    cache = tmp_path / "c.db"
    build_map(root, "application config", cache_path=cache)  # cold: indexes and counts
    probe = (
        "import json, sys\nfrom pathlib import Path\nfrom gearshift.context.repomap import build_map\n"
        f"m = build_map(Path({str(root)!r}), 'a new task about index views', cache_path=Path({str(cache)!r}))\n"
        "loaded = sorted({n.split('.')[0] for n in sys.modules if n.startswith(('tiktoken', 'tree_sitter'))})\n"
        "print(json.dumps({'loaded': loaded, 'exact': m.exact_tokens, 'first': m.files[0].path}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"loaded": [], "exact": True, "first": "app/views.py"}


def test_the_context_window_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    import gearshift.pricing
    from gearshift.context.windows import remembered_window

    assert remembered_window("gpt-5.4") == gearshift.pricing.context_window("gpt-5.4") == 1_050_000
    assert remembered_window("no-such-model") is None

    def no_table(model: str, provider_id: str | None = None) -> int | None:
        raise AssertionError("the price table was asked again")

    monkeypatch.setattr(gearshift.pricing, "context_window", no_table)
    assert (remembered_window("gpt-5.4"), remembered_window("no-such-model")) == (1_050_000, None)


def test_a_module_name_two_files_answer_to_resolves_to_the_one_nearer_the_root() -> None:
    from gearshift.context.facts import resolve_imports

    raw = {
        "pkg/sansio/app.py": ("python", []),
        "app.py": ("python", []),
        "pkg/app.py": ("python", []),
        "run.py": ("python", ["app"]),
        "cmd/main.go": ("go", ["example.com/x/internal/git"]),
        "internal/git/git.go": ("go", []),
        "internal/git/branch.go": ("go", []),
    }
    graph = resolve_imports(raw)
    assert graph["run.py"] == {"app.py"}
    assert graph["cmd/main.go"] == {"internal/git/branch.go"}  # a package is its first file, by name


def test_a_constant_holding_a_key_is_shown_masked(tmp_path: Path) -> None:
    key = "AKIAZ4XK3PL9MZ2RT7QB"  # the form of an AWS access key id
    root = write(tmp_path / "p", {"deploy/settings.py": f'UPLOAD_KEY_ID = "{key}"\nREGION = "eu-west-1"\n'})
    result = build_map(root, "rotate the upload key id", cache_path=tmp_path / "c.db")
    shown = result.render()
    assert "UPLOAD_KEY_ID = " in shown and "[secret masked: AWS Access Key]" in shown
    assert key not in shown and key not in json.dumps(result.to_json())
    assert not [f for f in tmp_path.glob("c.db*") if key.encode() in f.read_bytes()]
