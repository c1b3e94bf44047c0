"""The report as one self-contained page: its tables, its charts, its escaping, and how a real browser draws it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gearshift.errors import UsageError
from gearshift.evidence.html import SCRIPTED_NOTE, render_page

HOSTILE = 'Fix <script>alert("pwned")</script> & "quotes" in the login form'
# per strategy: tokens of plan, implement, fix, review; cost per run; accepted per (task, repeat)
SEED = {
    "high": ((60_000, 120_000, 20_000, 50_000), 1.25, (True, True, True, False)),
    "medium": ((15_000, 45_000, 15_000, 10_000), 0.30, (True, False, False, False)),
    "high-medium-high": ((40_000, 50_000, 5_000, 35_000), 0.62, (True, True, True, True)),
}
TASKS = ("Add JWT authentication to the API", HOSTILE)


def make_row(task: str, strategy: str, repeat: int, *, scripted: bool = False) -> dict[str, Any]:
    phase_tokens, cost, verdicts = SEED[strategy]
    phases = {
        phase: {
            "input_tokens": n * 3 // 4,
            "cached_tokens": 0,
            "output_tokens": n - n * 3 // 4,
            "reasoning_tokens": 0,
            "cost_usd": cost / 4,
            "seconds": 10.0,
        }
        for phase, n in zip(("plan", "implement", "fix", "review"), phase_tokens, strict=True)
    }
    return {
        "instance_id": None,
        "task": task,
        "strategy": strategy,
        "repeat": repeat,
        "run_id": f"run-{strategy}-{repeat}",
        "status": "done",
        "accepted": verdicts[TASKS.index(task) * 2 + repeat - 1],
        "resolved": None,
        "phases": phases,
        "total_tokens": sum(phase_tokens),
        "cost_usd": cost,
        "seconds": 40.0,
        "steps": 3,
        "fix_attempts": 1,
        "checks": {"passed": 3, "failed": 1},
        "review_issues": {"critical": 0, "high": 0, "medium": 1, "low": 2},
        "antipatterns": [],
        "scripted": scripted,
        "error": None,
    }


def sample_rows(*, scripted: bool = False) -> list[dict[str, Any]]:
    return [make_row(task, name, repeat, scripted=scripted) for name in SEED for task in TASKS for repeat in (1, 2)]


def sample_summary(*, scripted: bool = False) -> dict[str, Any]:
    cis = {"high": [0.30, 0.95], "medium": [0.05, 0.70], "high-medium-high": [0.51, 1.0]}
    strategies = {}
    for name, (phase_tokens, cost, verdicts) in SEED.items():
        resolved = sum(verdicts)
        strategies[name] = {
            "tasks": 2,
            "cells": 4,
            "judged": 4,
            "errors": 0,
            "resolved": resolved,
            "rate": resolved / 4,
            "ci95": cis[name],
            "pass_at_1": resolved / 4,
            "tokens": {
                **dict(zip(("plan", "implement", "fix", "review"), phase_tokens, strict=True)),
                "total": sum(phase_tokens),
            },
            "cost_usd": cost,
            "cost_per_resolved": cost * 4 / resolved,
            "seconds": 40.0,
            "scripted": scripted,
        }
    paired = [
        {"strategy": "medium", "baseline": "high", "pairs": 4, "wins": 0, "losses": 2,
         "p_value": 0.5, "diff": -0.5, "ci95": [-1.0, 0.0]},
        {"strategy": "high-medium-high", "baseline": "high", "pairs": 4, "wins": 1, "losses": 0,
         "p_value": 1.0, "diff": 0.25, "ci95": [0.0, 0.5]},
    ]  # fmt: skip
    return {"baseline": "high", "scripted": scripted, "strategies": strategies, "paired": paired}


class Tables(HTMLParser):
    """The text of every table cell, table by table, row by row; and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> Tables:
    parser = Tables()
    parser.feed(page)
    parser.close()
    return parser


def test_the_page_is_self_contained() -> None:
    page = render_page(sample_rows(), sample_summary(), title="JWT: three strategies")
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
    assert not any(tag in ("script", "link", "iframe", "img", "object") for tag, _ in parsed.tags)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//|@import", page)
    assert page.count("<svg") == 3
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_seed_table_and_the_paired_table_hold_the_figures() -> None:
    tables = parse(render_page(sample_rows(), sample_summary(), title="JWT")).tables
    seed, paired, runs = tables
    assert seed[0] == ["strategy", "plan", "implement", "fix", "review", "total", "cost / run",
                       "cost / accepted", "accepted"]  # fmt: skip
    assert seed[1] == ["high", "60K", "120K", "20K", "50K", "250K", "$1.25", "$1.67", "3/4 · 75% [30%, 95%]"]
    assert seed[2] == ["medium", "15K", "45K", "15K", "10K", "85K", "$0.30", "$1.20", "1/4 · 25% [5%, 70%]"]
    assert seed[3][0] == "high-medium-high"
    assert seed[3][5:] == ["130K", "$0.62", "$0.62", "4/4 · 100% [51%, 100%]"]
    assert paired[0] == ["strategy", "wins", "losses", "p-value", "diff [95% CI]"]
    assert paired[1] == ["medium", "0", "2", "0.500", "-50 [-100, +0]"]
    assert paired[2] == ["high-medium-high", "1", "0", "1.000", "+25 [+0, +50]"]
    assert len(runs) == 1 + 12  # a row per cell: 3 strategies x 2 tasks x 2 repeats
    assert runs[1][:3] == ["Add JWT authentication to the API", "high", "1"]
    assert runs[1][3:] == ["60K", "120K", "20K", "50K", "250K", "$1.25", "40s", "yes", "done"]


def test_text_from_users_is_escaped() -> None:
    rows = sample_rows()
    rows[0] = {**rows[0], "status": "error", "error": "<img src=x onerror=alert(1)>"}
    summary = sample_summary()
    summary["strategies"]["<b>bold</b>"] = summary["strategies"].pop("medium")
    page = render_page(rows, summary, title="<i>title</i>")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "Fix &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    parsed = parse(page)
    assert any(HOSTILE in row[0] for row in parsed.tables[2][1:])  # the text survives, as text
    assert [row[0] for row in parsed.tables[0][1:] if "bold" in row[0]] == ["<b>bold</b>"]


def test_the_title_says_when_replies_were_scripted() -> None:
    plain = render_page(sample_rows(), sample_summary(), title="JWT")
    assert SCRIPTED_NOTE not in plain
    for rows, summary in (
        (sample_rows(scripted=True), sample_summary()),
        (sample_rows(), sample_summary(scripted=True)),
    ):
        page = render_page(rows, summary, title="JWT")
        title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
        heading = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
        assert title and SCRIPTED_NOTE in title.group(1)
        assert heading and SCRIPTED_NOTE in heading.group(1)
        assert "the figures show the mechanics, not a result" in SCRIPTED_NOTE


def test_runs_nobody_judged_or_priced_still_make_a_page() -> None:
    rows = [{**row, "accepted": None, "cost_usd": None} for row in sample_rows()]
    summary = sample_summary()
    for s in summary["strategies"].values():
        s.update(rate=None, ci95=None, resolved=0, judged=0, cost_usd=None, cost_per_resolved=None)
    summary["paired"] = []
    page = render_page(rows, summary, title="unjudged")
    seed = parse(page).tables[0]
    assert [row[-1] for row in seed[1:]] == ["not judged"] * 3
    assert [row[-3] for row in seed[1:]] == ["?"] * 3
    assert page.count("<svg") == 3
    assert "No other strategy to pair with the baseline." in page


def test_a_suite_says_resolved() -> None:
    rows = [{**row, "instance_id": f"repo__{i % 2}", "resolved": row["accepted"], "accepted": None}
            for i, row in enumerate(sample_rows())]  # fmt: skip
    tables = parse(render_page(rows, sample_summary(), title="suite")).tables
    assert tables[0][0][-1] == "resolved"
    assert tables[2][1][0] == "repo__0"


def test_without_matplotlib_the_page_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "gearshift.evidence.charts", raising=False)
    with pytest.raises(UsageError, match=r"pip install 'gearshift\[html\]'"):
        render_page(sample_rows(), sample_summary(), title="JWT")


def chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


@pytest.mark.skipif(chromium() is None, reason="chromium not installed: .ci/run installs it")
@pytest.mark.timeout(180)
def test_headless_chromium_draws_the_page(tmp_path: Path) -> None:
    import numpy as np
    from matplotlib import image

    page = tmp_path / "report.html"
    page.write_text(render_page(sample_rows(scripted=True), sample_summary(scripted=True), title="JWT"), "utf-8")
    browser = [str(chromium()), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600"]  # fmt: skip
    shot = tmp_path / "report.png"
    subprocess.run([*browser, f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (1600, 1200)
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 50  # text, tables, four phase colours and their anti-aliasing: not a blank page
    assert (rgb.min(axis=1) < 200).mean() > 0.02  # a good deal of the page is drawn on, not white

    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert dom.count("<svg") >= 3
    tables = parse(dom).tables
    assert [row[0] for row in tables[0][1:]] == ["high", "medium", "high-medium-high"]
    assert tables[0][1][5] == "250K"
    assert len(tables[2]) == 13
    assert SCRIPTED_NOTE in dom
