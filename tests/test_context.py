from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.context.files import list_files
from gearshift.context.index import RepoIndex, words
from gearshift.context.repomap import build_map
from gearshift.context.step_files import step_files_context
from gearshift.context.symbols import extract_symbols
from gearshift.context.tokens import counter_for


def make_project(root: Path, *, git: bool = True) -> Path:
    files = {
        "src/shop/cart.py": "class Cart:\n    def add_item(self, item):\n        self.items.append(item)\n\n"
        "    def total(self):\n        return sum(i.price for i in self.items)\n",
        "src/shop/payment.py": "from shop.cart import Cart\n\n\ndef charge_card(cart: Cart, token: str) -> bool:\n"
        "    return cart.total() > 0\n",
        "src/shop/catalog.py": "def list_products():\n    return []\n",
        "web/api.ts": "import { Cart } from './cart'\nexport function checkout(cart: Cart): number {\n  return 1\n}\n",
        "web/cart.ts": "export class Cart {\n  items: string[] = []\n}\n",
        "README.md": "# shop\nA small shop.\n",
        ".env": "STRIPE_KEY=sk_live_secret\n",
        "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "credentials.json": '{"token": "secret"}\n',
        "build/generated.py": "def generated():\n    pass\n",
        "vendor/lib.py": "def vendored_cart_helper():\n    pass\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / ".gitignore").write_text("build/\n")
    (root / ".gearshiftignore").write_text("vendor/\n")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def test_listing_respects_ignores_and_never_lists_secrets(tmp_path: Path) -> None:
    for git in (True, False):
        root = make_project(tmp_path / f"p{git}", git=git)
        listed = list_files(root)
        assert "src/shop/cart.py" in listed
        assert not {".env", "deploy/id_rsa", "credentials.json"} & set(listed)
        assert "vendor/lib.py" not in listed  # .gearshiftignore
        if git:
            assert "build/generated.py" not in listed  # .gitignore


def test_the_map_ranks_the_right_file_first_with_its_symbols(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    result = build_map(root, "Charge the card when the cart is paid", cache_path=tmp_path / "cache" / "i.db")
    assert result.files[0].path == "src/shop/payment.py"
    assert [s["name"] for s in result.files[0].symbols] == ["charge_card"]
    scores = [f.score for f in result.files]
    assert scores == sorted(scores, reverse=True)
    assert result.exact_tokens  # o200k_base, offline
    assert "sk_live_secret" not in result.render()
    assert all(not f.path.startswith(("/", "..")) for f in result.files)


@pytest.mark.parametrize("budget", [30, 60, 200, 5000])
def test_the_budget_holds(tmp_path: Path, budget: int) -> None:
    root = make_project(tmp_path / "p")
    result = build_map(root, "cart total", cache_path=tmp_path / "c.db", budget=budget)
    counter = counter_for("gpt-5.4")
    assert result.tokens <= budget
    assert counter.count(result.render()) == result.tokens  # the lines' counts add up to the map's
    collapsed = sum(counter.count(f"{d or '.'}/ ({n} file{'s' if n > 1 else ''})\n") for d, n in result.collapsed)
    assert result.tokens == sum(f.tokens for f in result.files) + collapsed


def test_top_k_ignores_the_budget(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    result = build_map(root, "cart", cache_path=tmp_path / "c.db", budget=10, top=4)
    assert len(result.files) == 4
    assert result.tokens > 10


def test_a_second_map_reads_nothing_and_a_change_is_seen(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    cache = tmp_path / "c.db"
    first = RepoIndex(root, cache)
    first.refresh()
    assert first.stats["parsed"] > 0
    first.close()
    second = RepoIndex(root, cache)
    second.refresh()
    assert (second.stats["read"], second.stats["parsed"]) == (0, 0)
    second.close()
    (root / "src/shop/catalog.py").write_text("def list_products(limit):\n    return []\n")
    (root / "src/shop/copy.py").write_text((root / "src/shop/cart.py").read_text())  # known content, new path
    third = RepoIndex(root, cache)
    third.refresh()
    assert (third.stats["read"], third.stats["parsed"]) == (2, 1)  # the copy is read, not parsed again
    third.close()


def test_map_cli_json_contract_in_a_repo_and_in_a_plain_directory(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    for git in (True, False):
        root = make_project(tmp_path / f"p{git}", git=git)
        monkeypatch.chdir(root)
        result = cli("map", "Charge the card", "--json", "--tokens", "300")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert set(data) >= {"task", "budget", "tokens", "files"}
        assert (data["task"], data["budget"]) == ("Charge the card", 300)
        assert data["tokens"] <= 300
        first = data["files"][0]
        assert set(first) == {"path", "score", "tokens", "symbols", "more_symbols"}
        assert all(set(c) == {"directory", "files"} for c in data["collapsed"])
        assert first["path"] == "src/shop/payment.py"
        assert len(json.loads(cli("map", "cart", "--json", "--top", "3").stdout)["files"]) == 3
        text = cli("map", "cart")
        assert "src/shop/cart.py\n  class Cart" in text.stdout
        assert (root / ".gearshift").exists() == git  # a plain tree is not written into
    assert any(Path(os.environ["GEARSHIFT_HOME"]).glob("cache/*/index.db"))


def test_symbols_in_six_languages() -> None:
    cases = {
        "a.py": (
            b"class A:\n    def m(self):\n        def inner():\n            pass\n\ndef f(x):\n    pass\n",
            [("A", "class"), ("m", "method"), ("f", "function")],
        ),
        "a.js": (
            b"class A { m() {} }\nfunction f(a) {}\nconst g = (x) => x\n",
            [("A", "class"), ("m", "method"), ("f", "function"), ("g", "function")],
        ),
        "a.ts": (
            b"interface I { x: number }\nexport class A { m(x: number): string { return '' } }\n",
            [("I", "interface"), ("A", "class"), ("m", "method")],
        ),
        "a.go": (
            b"package a\ntype S struct{}\nfunc (s *S) M() {}\nfunc F() {}\n",
            [("S", "type"), ("M", "method"), ("F", "function")],
        ),
        "a.rs": (b"struct S;\ntrait T {}\nfn f() {}\n", [("S", "struct"), ("T", "trait"), ("f", "function")]),
        "A.java": (b"class A { int m(int x) { return x; } }\n", [("A", "class"), ("m", "method")]),
    }
    for path, (source, expected) in cases.items():
        assert [(s.name, s.kind) for s in extract_symbols(path, source)] == expected, path
    assert extract_symbols("a.py", b"def f(a: dict[str, int]) -> int: return 1")[0].signature == (
        "def f(a: dict[str, int]) -> int"
    )


def test_step_files_fit_in_full_or_show_what_the_step_names(tmp_path: Path) -> None:
    counter = counter_for("gpt-5.4")
    small = tmp_path / "small.py"
    small.write_text("def a():\n    return 1\n")
    assert "def a():\n    return 1" in step_files_context(tmp_path, ["small.py"], counter, budget=1000)

    body = "".join(
        f"def helper_{n}(x):\n" + "".join(f"    x = x + {k}\n" for k in range(20)) + "    return x\n\n"
        for n in range(60)
    )
    (tmp_path / "big.py").write_text("import os\n\n" + body)
    shown = step_files_context(tmp_path, ["big.py"], counter, budget=1500, step_text="Change helper_42 to clamp")
    assert counter.count(shown) <= 1500
    assert "   1 | import os" in shown
    start = 3 + 42 * 23  # the named one, whole, its lines numbered
    assert f" {start} | def helper_42(x):\n {start + 1} |     x = x + 0\n" in shown
    assert f" {start + 21} |     return x\n" in shown
    assert f" {start - 23} | def helper_41(x):\n… lines" in shown  # its neighbours as signatures
    assert "def helper_0(x)" not in shown  # far away: left out, the outline is nearest first
    assert "numbers are not part of the file" in shown


def test_secret_files_are_never_shown_to_a_step(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=sk-live\n")
    shown = step_files_context(tmp_path, [".env"], counter_for("gpt-5.4"), budget=1000)
    assert "sk-live" not in shown
    assert "left out: it looks like a secrets file" in shown


def test_step_30_of_30_is_no_larger_than_step_1(tmp_path: Path) -> None:
    from gearshift.effort import Effort
    from gearshift.phases.implement_prompts import build_step_request
    from gearshift.plan import Plan, Step

    (tmp_path / "app.py").write_text("def run():\n    return 0\n" * 40)
    steps = [
        Step(
            id=n,
            title=f"Change part {n:02d} of run",
            description="Adjust run as the step says.",
            files=["app.py"],
            acceptance=["tests pass"],
            kind="implementation",
            security_critical=False,
            ambiguities=[],
        )
        for n in range(1, 31)
    ]
    plan = Plan(
        summary="Thirty small steps.", architecture_decisions=["keep run()"], steps=steps, risks=[], testing_strategy=[]
    )
    counter = counter_for("gpt-5.4")

    def size(step: Step) -> int:
        files = step_files_context(tmp_path, step.files, counter, budget=24_000, step_text=step.title)
        request = build_step_request("Thirty steps", plan, step, files, "gpt-5.4", Effort.MEDIUM)
        return counter.count(request.instructions + request.input)

    assert size(steps[29]) <= size(steps[0])


def test_token_counts_are_exact_for_openai_and_estimates_elsewhere() -> None:
    exact = counter_for("gpt-5.4")
    assert exact.exact and exact.count("hello world") == 2
    estimate = counter_for("qwen3:8b")
    assert not estimate.exact
    assert estimate.label == "tokens (estimated)"
    assert estimate.count("x" * 350) == 101


@given(st.text(max_size=200))
def test_words_are_lower_case_stems(text: str) -> None:
    for word in words(text):
        assert word == word.lower() and len(word) > 1


def test_the_map_budget_is_sized_for_the_plan_model(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gearshift.context.budget import map_budget, map_tokens_for_window
    from gearshift.settings import Settings

    assert [map_tokens_for_window(w) for w in (None, 32_000, 200_000, 400_000, 1_050_000)] == [
        8192,
        4096,
        6250,
        12_500,
        16_384,
    ]
    assert map_budget(Settings.model_validate({"model": "gpt-5.2"})) == 12_500  # a 400k window
    assert map_budget(Settings.model_validate({"phases": {"plan": {"model": "qwen3"}}})) == 8192  # not in the table
    assert map_budget(Settings.model_validate({"context": {"map_tokens": 3000}})) == 3000
    claude = Settings.model_validate({"provider": "anthropic", "model": "claude-opus-4-5"})
    assert map_budget(claude) == 6250  # a 200k window
    monkeypatch.chdir(make_project(tmp_path / "p"))
    assert json.loads(cli("map", "cart", "--json").stdout)["budget"] == 16_384  # gpt-5.4: a 1.05M window
    monkeypatch.setenv("GEARSHIFT_CONTEXT__MAP_TOKENS", "2000")
    assert json.loads(cli("map", "cart", "--json").stdout)["budget"] == 2000


@pytest.mark.parametrize("spelling", [".env/.", "./.env/.", ".//.env", "./.env"])
def test_a_secret_file_spelled_another_way_is_still_left_out(tmp_path: Path, spelling: str) -> None:
    (tmp_path / ".env").write_text("STRIPE_SECRET=abc\n")
    shown = step_files_context(tmp_path, [spelling], counter_for("gpt-5.4"), budget=1000)
    assert "abc" not in shown
