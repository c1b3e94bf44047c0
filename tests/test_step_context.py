"""A step's context by need: large files as the regions the step names, numbered; small ones whole."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gearshift.context.regions import pick_view
from gearshift.context.sections import changelog_head, headings, is_changelog, is_document
from gearshift.context.step_files import step_context
from gearshift.context.step_terms import step_terms
from gearshift.context.symbols import extract_symbols
from gearshift.context.tokens import counter_for
from gearshift.context.views import View, file_lines, render_view

COUNTER = counter_for("gpt-5.4")
_NUMBERED = re.compile(r"^ *(\d+) \| (.*)$")


def functions(count: int, body: int = 20, prefix: str = "helper") -> str:
    return "".join(
        f"def {prefix}_{n}(x):\n" + "".join(f"    x = x + {k}\n" for k in range(body)) + "    return x\n\n\n"
        for n in range(count)
    )


def shown_lines(text: str) -> dict[int, str]:
    """Line number -> line, from a numbered view."""
    return {int(m.group(1)): m.group(2) for m in map(_NUMBERED.match, text.split("\n")) if m}


def view_of(path: str, text: str, step: str, budget: int = 24_000, focus: tuple[int, ...] = ()) -> View:
    symbols = extract_symbols(path, text.encode()) if path.endswith(".py") else headings(file_lines(text))
    return pick_view(path, text, symbols, step_terms(step), budget, COUNTER, focus=focus)


def covers(view: View, line: int) -> bool:
    return any(first <= line <= last for first, last in view.ranges)


def test_a_small_file_is_whole_and_a_large_one_is_the_part_the_step_names() -> None:
    small = functions(5)
    assert view_of("a.py", small, "Change `helper_2`") == View(True, ((1, len(file_lines(small))),))
    large = "import os\n\n\n" + functions(80)
    view = view_of("a.py", large, "Clamp x in `helper_42`")
    start = 4 + 42 * 24
    assert not view.whole
    assert covers(view, 1) and all(covers(view, n) for n in range(start, start + 22))  # imports; the function
    shown = sum(last - first + 1 for first, last in view.ranges)
    assert shown < len(file_lines(large)) * 0.2
    text = render_view(file_lines(large), view)
    assert f"{start} | def helper_42(x):" in text and f"{start + 24} | def helper_43(x):" in text  # and its neighbour
    assert shown_lines(text)[start + 21] == "    return x"


def test_a_large_file_the_step_names_nothing_in_is_whole_when_it_fits() -> None:
    large = functions(80)
    assert view_of("a.py", large, "Make the tests faster").whole
    assert not view_of("a.py", large, "Make the tests faster", budget=2_000).whole


def test_owner_dot_member_shows_that_member_and_only_its_owner_s_signature() -> None:
    source = (
        "class Alpha:\n    '''Alpha.'''\n    limit = 3\n\n"
        + "".join(f"    def m{n}(self):\n        return {n}\n\n" for n in range(150))
        + "    def run(self):\n        return 'alpha'\n\n\n"
        + "class Beta:\n"
        + "".join(f"    def k{n}(self):\n        return {n}\n\n" for n in range(150))
        + "    def run(self):\n        return 'beta'\n\n    def last(self):\n        return 0\n"
    )
    lines = file_lines(source)
    alpha_run = lines.index("        return 'alpha'") + 1
    beta_run = lines.index("        return 'beta'") + 1
    view = view_of("a.py", source, "Make `Alpha.run` return 'a'")
    assert covers(view, alpha_run) and covers(view, 1) and not covers(view, beta_run)
    assert not covers(view, 3)  # Alpha's own body is not the step's business
    prose = view_of("a.py", source, "Make Alpha faster in `m3`")  # a class named in prose: its signature
    assert covers(prose, 1) and not covers(prose, 3) and sum(b - a + 1 for a, b in prose.ranges) < 120


def test_a_named_class_shows_its_own_lines_and_its_members_signatures() -> None:
    source = "class Config:\n    DEFAULTS = {\n        'a': 1,\n    }\n\n" + "".join(
        f"    def m{n}(self):\n" + "        pass\n" * 5 + "\n" for n in range(300)
    )
    view = view_of("a.py", source, "Add 'b' to `Config`")
    text = render_view(file_lines(source), view)
    assert "   3 |         'a': 1," in text and "   6 |     def m0(self):" in text
    shown = shown_lines(text)
    assert all(shown[n].strip() in ("", "pass") or shown[n].startswith("    def m") for n in shown if n > 5)
    assert [n for n in shown if shown[n].strip() == "pass"] == [2103, 2104]  # the file's last lines only


def test_a_definition_s_decorators_and_the_lines_after_it_come_with_it() -> None:
    source = (
        functions(30)
        + (
            "@pytest.mark.parametrize(\n    ('a', 'b'),\n    [\n        (1, 2),\n    ],\n)\n"
            "def test_pairs(a, b):\n    assert a < b\n\n\n"
        )
        + functions(30, prefix="other")
    )
    lines = file_lines(source)
    decorator = lines.index("@pytest.mark.parametrize(") + 1
    view = view_of("a.py", source, "Add a case to `test_pairs`")
    assert all(covers(view, n) for n in range(decorator, decorator + 10))


def test_a_word_the_step_writes_as_code_shows_the_statement_that_defines_it() -> None:
    source = (
        functions(20)
        + "SETTINGS = dict(\n"
        + "".join(f"    key_{n}={n},\n" for n in range(30))
        + ")\n"
        + functions(20, prefix="b")
    )
    lines = file_lines(source)
    first = lines.index("SETTINGS = dict(") + 1
    view = view_of("a.py", source, "Add `key_99` to SETTINGS_TABLE and `SETTINGS`")
    assert all(covers(view, n) for n in range(first, first + 32))


def test_a_test_is_named_by_its_description_and_a_huge_function_by_its_ends_and_the_words_inside() -> None:
    tests = "import test from 'ava';\n\n" + "".join(
        f"test('case {n} works', t => {{\n" + "\tt.pass();\n" * 8 + "});\n\n" for n in range(60)
    )
    lines = file_lines(tests)
    start = lines.index("test('case 42 works', t => {") + 1
    symbols = extract_symbols("retry.ts", tests.encode())
    view = pick_view("retry.ts", tests, symbols, step_terms("Fix `case 42 works`"), 24_000, COUNTER)
    assert all(covers(view, n) for n in range(start, start + 10)) and not covers(view, start - 5)

    imports = "".join(f"import {{ thing{n} }} from './thing{n}'\n" for n in range(60))
    body = "".join(
        f"  const helper{n} = (x: number) => {{\n" + "    x += 1\n" * 10 + "    return x\n  }\n" for n in range(150)
    )
    source = f"{imports}\nexport function createRenderer(options: Options) {{\n{body}  return {{}}\n}}\n"
    lines = file_lines(source)
    inner = lines.index("  const helper77 = (x: number) => {") + 1
    symbols = extract_symbols("renderer.ts", source.encode())
    terms = step_terms("In `createRenderer`, make `helper77` clamp x")
    view = pick_view("renderer.ts", source, symbols, terms, 8_000, COUNTER)
    assert all(covers(view, n) for n in range(1, 61))  # every import
    assert covers(view, 62) and covers(view, len(lines))  # the huge function's ends
    assert all(covers(view, n) for n in range(inner, inner + 13))  # and the part the step names inside it
    assert sum(b - a + 1 for a, b in view.ranges) < len(lines) // 5


def test_a_type_s_other_definitions_of_the_same_name_come_with_it() -> None:
    filler = "".join(
        f"export function other{n}(x: number): number {{\n" + "  x += 1\n" * 12 + "  return x\n}\n\n" for n in range(60)
    )
    source = (
        filler
        + "export interface $ZodCIDR {\n  _zod: Internals;\n}\n\n"
        + "export const $ZodCIDR: Constructor<$ZodCIDR> = make(\n  '$ZodCIDR',\n  (inst, def) => {\n"
        + "    inst.check = (payload) => {\n      const [address, prefix] = payload.split('/');\n    };\n  }\n);\n\n"
        + filler.replace("other", "more")
    )
    lines = file_lines(source)
    check = lines.index("      const [address, prefix] = payload.split('/');") + 1
    symbols = extract_symbols("schemas.ts", source.encode())
    view = pick_view("schemas.ts", source, symbols, step_terms("Fix `$ZodCIDR`"), 24_000, COUNTER)
    assert covers(view, check) and covers(view, check - 5) and covers(view, check + 3)


def test_a_changelog_shows_its_head_where_new_entries_go() -> None:
    releases = "".join(
        f"Version 1.{n}.0\n-------------\n\nReleased 2020-01-01\n\n"
        + "".join(f"-   Change {k}.\n" for k in range(40))
        + "\n"
        for n in range(50, 0, -1)
    )
    text = "Version 2.0.0\n-------------\n\nUnreleased\n\n-   Something.\n\n\n" + releases
    lines = file_lines(text)
    assert is_changelog("CHANGES.rst") and is_changelog("docs/changelog.md") and not is_changelog("change.py")
    assert changelog_head(lines) == 20  # the unreleased section and the head of the release before it, or 20 lines
    view = view_of("CHANGES.rst", text, "Note the fix in CHANGES.rst")
    assert len(lines) > 2_000 and all(covers(view, n) for n in range(1, 12))
    shown = sum(last - first + 1 for first, last in view.ranges)
    assert shown < 150
    named = view_of("CHANGES.rst", text, 'Fix a typo under "Version 1.20.0"')
    start = lines.index("Version 1.20.0") + 1
    assert all(covers(named, n) for n in range(start, start + 46))


def test_markdown_headings_in_code_fences_are_not_sections_nor_a_script_s_comments(tmp_path: Path) -> None:
    text = "# Title\n\n```python\n# not a heading\n```\n\nIntro\n=====\n\n## Usage\n\ntext\n"
    assert [(s.name, s.line) for s in headings(file_lines(text))] == [("Title", 1), ("Intro", 7), ("Usage", 10)]
    assert is_document("README") and is_document("docs/a.rst") and not is_document("bin/tool", "#!/bin/sh\n")
    assert not is_document("test/test_go.rb") and not is_document("conf.yaml")
    script = "# encoding: utf-8\n\n" + "".join(f"  def test_{n}\n" + "    x\n" * 10 + "  end\n\n" for n in range(80))
    (tmp_path / "test_go.rb").write_text(script)
    shown = step_context(tmp_path, ["test_go.rb"], COUNTER, budget=3_000, step_text="Change `test_42`")
    start = script.split("\n").index("  def test_42") + 1
    assert any(a <= start and start + 10 <= b for a, b in shown.files[0].ranges)  # what the word defines
    assert "(1 of its" not in shown.text  # no '# encoding' section


def test_a_failure_s_lines_are_shown_with_the_definition_around_them() -> None:
    source = functions(60)
    view = view_of("a.py", source, "Unrelated words", focus=(25 * 24 + 5,))
    start = 25 * 24 + 1
    assert all(covers(view, n) for n in range(start, start + 22))


@given(st.text(max_size=300))
def test_step_terms_read_any_text(text: str) -> None:
    terms = step_terms(text)
    for name in terms.strong | terms.weak:
        assert re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name) and name in text
    assert not terms.strong & terms.weak


def test_step_terms_tell_code_from_prose_and_leave_paths_out() -> None:
    terms = step_terms("Make Flask use `timeout` in src/flask/app.py via load_config() and `Session.save`, not app.py")
    assert {"timeout", "load_config"} <= terms.strong
    assert "Flask" in terms.weak and "app" not in terms.strong | terms.weak
    assert ("Session", "save") in terms.qualified and "Session" not in terms.strong


_LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_LINE, min_size=1, max_size=400),
    st.text(max_size=80),
    st.integers(min_value=0, max_value=3_000),
    st.lists(st.integers(min_value=-5, max_value=420), max_size=4),
)
def test_a_view_is_sorted_apart_in_bounds_and_shows_the_file_s_own_lines(
    lines: list[str], step: str, budget: int, focus: list[int]
) -> None:
    text = "\n".join(lines) + "\n"
    ours = file_lines(text)
    view = view_of("notes.txt", text, step, budget=budget, focus=tuple(focus))
    previous = 0
    for first, last in view.ranges:
        assert first >= 1 if previous == 0 else first > previous + 1  # merged when adjacent
        assert first <= last <= len(ours)
        previous = last
    rendered = render_view(ours, view)
    if view.whole:
        assert rendered == text
        return
    assert COUNTER.count(rendered) <= max(budget, 0) or not view.ranges
    numbered = shown_lines(rendered)
    assert set(numbered) == {n for first, last in view.ranges for n in range(first, last + 1)}
    assert all(numbered[n] == ours[n - 1] for n in numbered)


def test_step_context_shares_the_budget_and_masks_secrets(tmp_path: Path) -> None:
    key = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    (tmp_path / "big.py").write_text(f'TOKEN = "{key}"\n\n\n' + functions(120))
    (tmp_path / "helpers.py").write_text(functions(200, prefix="util"))
    shown = step_context(
        tmp_path,
        ["big.py", "new.py"],
        COUNTER,
        budget=6_000,
        step_text="Use `TOKEN` in `helper_7`",
        reads=["helpers.py"],
    )
    assert key not in shown.text and "[secret masked:" in shown.text
    assert [f.path for f in shown.files] == ["big.py", "new.py", "helpers.py"]
    big, new, helpers = shown.files
    assert (new.whole, new.ranges) == (False, ()) and "does not exist yet" in shown.text
    assert not big.whole and big.ranges[0][0] == 1
    assert "## helpers.py (read only" in shown.text
    assert shown.tokens == COUNTER.count(shown.text) <= 6_000
    assert big.tokens > helpers.tokens  # the file the step changes gets the larger share


def test_the_context_command_json_contract_in_a_repo_and_a_plain_tree(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    (hermetic / "app.py").write_text("import os\n\n\n" + functions(80))
    (hermetic / "small.py").write_text("def tiny():\n    return 1\n")
    (hermetic / "CHANGES.md").write_text("# Changes\n\n## 2.0\n\n- new\n\n## 1.0\n\n" + "- old\n" * 900)
    for git in (False, True):
        if git:
            subprocess.run(["git", "init", "-q"], cwd=hermetic, check=True)
        result = cli(
            "context",
            "Clamp `helper_3`; note it in CHANGES.md",
            "--files",
            "app.py,CHANGES.md",
            "--read",
            "small.py",
            "--json",
        )
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert set(data) == {"tokens", "files", "text"}
        assert [f["path"] for f in data["files"]] == ["app.py", "CHANGES.md", "small.py"]
        for entry in data["files"]:
            assert set(entry) == {"path", "tokens", "whole", "ranges"}
            assert all(isinstance(r, list) and len(r) == 2 and r[0] <= r[1] for r in entry["ranges"])
        app, changes, small = data["files"]
        assert small["whole"] and small["ranges"] == [[1, 2]]
        assert not app["whole"] and any(a <= 4 + 3 * 24 <= b for a, b in app["ranges"])
        assert not changes["whole"] and changes["ranges"][0][0] == 1
        assert data["tokens"] <= 24_000 and "  76 | def helper_3(x):" in data["text"]
    plain = cli("context", "Clamp `helper_3`", "--files", "app.py", "--tokens", "500")
    assert plain.exit_code == 0 and "def helper_3(x):" in plain.stdout and "of 500" in plain.stderr
