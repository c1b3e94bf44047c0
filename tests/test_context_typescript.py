"""The map in TypeScript as it is written today: ESM imports of '.js' names, and tests as calls."""

from __future__ import annotations

from pathlib import Path

from gearshift.context.facts import repo_facts, resolve_imports
from gearshift.context.symbols import extract_symbols


def test_esm_imports_of_js_names_resolve_to_their_typescript_sources() -> None:
    raw = {
        "src/index.ts": ("typescript", ["./utils/options.js", "./core/Ky.js", "./types/index.js"]),
        "src/utils/options.ts": ("typescript", ["../errors/HTTPError.js"]),
        "src/core/Ky.ts": ("typescript", ["./constants.mjs"]),
        "src/core/constants.mts": ("typescript", []),
        "src/errors/HTTPError.ts": ("typescript", []),
        "src/types/index.ts": ("typescript", []),
        "src/view.tsx": ("typescript", ["./widgets/Button.jsx"]),
        "src/widgets/Button.tsx": ("typescript", []),
        "lib/plain.js": ("javascript", ["./other.js"]),
        "lib/other.js": ("javascript", []),
    }
    graph = resolve_imports(raw)
    assert graph["src/index.ts"] == {"src/utils/options.ts", "src/core/Ky.ts", "src/types/index.ts"}
    assert graph["src/utils/options.ts"] == {"src/errors/HTTPError.ts"}
    assert graph["src/core/Ky.ts"] == {"src/core/constants.mts"}
    assert graph["src/view.tsx"] == {"src/widgets/Button.tsx"}
    assert graph["lib/plain.js"] == {"lib/other.js"}  # a real .js file is still itself


def test_an_esm_typescript_repository_has_an_import_graph(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "index.ts").write_text("import {options} from './options.js';\nexport {options};\n")
    (tmp_path / "source" / "options.ts").write_text("export const options = {retry: 2};\n")
    facts = repo_facts(tmp_path, "retry options")
    assert (facts.modules, facts.import_edges) == (2, 1)


def test_test_calls_are_the_symbols_of_js_and_ts_test_files() -> None:
    source = b"""import test from 'ava';
import {describe, it, expect} from 'vitest';

test('retries on 408', async t => { t.pass(); });
describe('hooks', () => {
    it('runs beforeRequest hooks in order', () => {});
    it.skip(`handles ${'templates'}`, () => {});
    test.each([[1, 2]])('adds %i and %i', (a, b) => {});
});
expect('not a test').toBe('not a test');
"""
    for path in ("test/retry.ts", "test/retry.js", "test/retry.tsx"):
        names = [(s.kind, s.name) for s in extract_symbols(path, source)]
        assert names == [
            ("test", "retries on 408"),
            ("test", "hooks"),
            ("test", "runs beforeRequest hooks in order"),
            ("test", "handles ${'templates'}"),
            ("test", "adds %i and %i"),
        ], path


def test_private_members_are_symbols_and_a_step_naming_one_sees_it_whole(tmp_path: Path) -> None:
    from gearshift.context.step_files import step_files_context
    from gearshift.context.tokens import counter_for

    source = "class Ky {\n  #retryDelay(error: Error): number {\n    return 1;\n  }\n  #limit = 3\n  pub() {}\n}\n"
    for name in ("ky.ts", "ky.js", "ky.tsx"):
        symbols = [(s.name, s.kind) for s in extract_symbols(name, source.encode(), assignments=True)]
        assert ("#retryDelay", "method") in symbols and ("#limit", "attribute") in symbols, name

    body = [f"    const step{i} = {i};" for i in range(40)]
    filler = [f"  method{i}(a: number) {{ return a + {i} }}" for i in range(300)]
    lines = [
        "export class Ky {",
        *filler[:150],
        "  #retryDelay(error: Error): number {",
        *body,
        "  }",
        *filler[150:],
        "}",
    ]
    (tmp_path / "Ky.ts").write_text("\n".join(lines) + "\n")
    shown = step_files_context(tmp_path, ["Ky.ts"], counter_for("gpt-5.4"), budget=4000, step_text="Change retryDelay")
    assert "const step0 = 0;" in shown and "const step39 = 39;" in shown  # the whole method, not 5 lines around it
