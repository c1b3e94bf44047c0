"""The evidence as one self-contained HTML page: ``--html FILE``. Pure: rows and their summary in, text out.

The page needs no network to be viewed: the CSS is inline, the charts are inline SVG drawn by
matplotlib (imported only here, when a page is wanted) with their text as paths, so no font is
fetched, and a Content-Security-Policy forbids the page from loading anything at all. Every piece
of text that came from a person or a model (task text, strategy names, errors) is escaped.
When any reply was scripted or recorded, the title says the figures show the mechanics, not a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from gearshift.errors import UsageError
from gearshift.evidence.records import PHASE_NAMES
from gearshift.report import tokens

SCRIPTED_NOTE = "scripted or recorded replies: the figures show the mechanics, not a result"
TASK_CHARS = 90

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 1160px; margin: 2em auto; padding: 0 1.2em; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h1 .note { display: block; font-size: .6em; font-weight: normal; color: #a03000; margin-top: .3em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
p.lead, p.legend, figcaption { color: #555; }
p.legend { font-size: .88em; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; margin: .6em 0; font-variant-numeric: tabular-nums; }
th, td { padding: .3em .55em; border-bottom: 1px solid #e4e4e4; text-align: right; vertical-align: top;
         white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
th.text, td.text { text-align: left; }
td.text { max-width: 28em; overflow-wrap: break-word; white-space: normal; }
td.text.name { white-space: nowrap; }
td.text.task { min-width: 12em; }
td.text.error { max-width: none; padding-left: 2em; }
td.bad, td.error { color: #a03000; }
figure { margin: 1.5em 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .3em; }
"""


def render_page(rows: list[dict[str, Any]], summary: dict[str, Any], *, title: str) -> str:
    """One page: the seed's table, tokens per phase, resolved rate, cost against rate, paired tests, every run."""
    try:
        from gearshift.evidence.charts import charts
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "matplotlib":
            raise
        raise UsageError("the HTML report needs matplotlib: pip install 'gearshift[html]'") from None
    scripted = bool(summary.get("scripted")) or any(row.get("scripted") for row in rows)
    word = "resolved" if any(row.get("resolved") is not None for row in rows) else "accepted"
    figures = "\n".join(
        f'<figure role="img" aria-label="{escape(caption)}"><figcaption>{escape(caption)}</figcaption>\n{svg}</figure>'
        for caption, svg in charts(summary, word)
    )
    head = escape(title) + (f'<span class="note">{escape(SCRIPTED_NOTE)}</span>' if scripted else "")
    page_title = escape(title) + (f" ({escape(SCRIPTED_NOTE)})" if scripted else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{page_title}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{head}</h1>
<p class="lead">{escape(_lead(rows, summary, word))}</p>
<h2>Tokens and outcome per strategy</h2>
{_strategy_table(summary, word)}
<p class="legend">Tokens are input + output, the mean over a strategy's runs (one task, one strategy, once).
Cost is the mean per run; a cost is "?" when no call of it had a price.</p>
{figures}
<h2>Paired against {escape(str(summary.get("baseline") or "the baseline"))}</h2>
{_paired_table(summary)}
<p class="legend">Wins and losses: runs of the same task and repeat that this strategy got {word} and the
baseline did not, and the reverse. p: exact McNemar test. diff: rate minus the baseline's, in points,
with a paired bootstrap 95% interval over tasks.</p>
<h2>Every run</h2>
{_runs_table(rows, word)}
<p class="legend">Made by gearshift.</p>
</body>
</html>
"""


def _lead(rows: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], word: str) -> str:
    tasks = len({str(row.get("instance_id") or row.get("task")) for row in rows})
    strategies = len(summary.get("strategies") or {})
    repeats = max((int(row.get("repeat") or 1) for row in rows), default=0)
    errors = sum(row.get("status") == "error" for row in rows)
    text = f"{len(rows)} runs: {_plural(tasks, 'task')}, {_plural(strategies, 'strategy', 'strategies')}"
    text += f", up to {_plural(repeats, 'repeat')} each." if repeats > 1 else "."
    return text + (f" {_plural(errors, 'run')} crashed (counted as not {word})." if errors else "")


def _strategy_table(summary: Mapping[str, Any], word: str) -> str:
    head = ["strategy", *PHASE_NAMES, "total", "cost / run", "cost / " + word, word]
    body = []
    for name, s in (summary.get("strategies") or {}).items():
        used = s.get("tokens") or {}
        cells = [_name(name), *(_num(_tokens(used.get(p))) for p in (*PHASE_NAMES, "total"))]
        cells += [_num(_money(s.get("cost_usd"))), _num(_money(s.get("cost_per_resolved"))), _outcome(s)]
        body.append(cells)
    return _table(head, body)


def _paired_table(summary: Mapping[str, Any]) -> str:
    body = []
    for p in summary.get("paired") or []:
        ci = p.get("ci95")
        p_value = p.get("p_value")
        cells = [_name(str(p.get("strategy"))), _num(str(p.get("wins", 0))), _num(str(p.get("losses", 0)))]
        cells.append(_num("-" if p_value is None else "<0.001" if p_value < 0.001 else f"{p_value:.3f}"))
        diff = _points(p.get("diff")) + (f" [{_points(ci[0])}, {_points(ci[1])}]" if ci else "")
        body.append([*cells, _num(diff)])
    if not body:
        return "<p>No other strategy to pair with the baseline.</p>"
    return _table(["strategy", "wins", "losses", "p-value", "diff [95% CI]"], body)


def _runs_table(rows: Sequence[Mapping[str, Any]], word: str) -> str:
    head = ["task", "strategy", "repeat", *PHASE_NAMES, "total", "cost", "time", word, "status"]
    body = []
    for row in rows:
        phases = row.get("phases") or {}
        used = [_phase_tokens(phases.get(p)) for p in PHASE_NAMES]
        verdict = row.get("resolved") if row.get("resolved") is not None else row.get("accepted")
        failed = row.get("status") not in ("done", None)
        body.append(
            [
                _task(row),
                _name(str(row.get("strategy"))),
                _num(str(row.get("repeat", ""))),
                *(_num(_tokens(n)) for n in (*used, row.get("total_tokens"))),
                _num(_money(row.get("cost_usd"))),
                _num(f"{float(row.get('seconds') or 0):.0f}s"),
                "<td>-</td>" if verdict is None else "<td>yes</td>" if verdict else '<td class="bad">no</td>',
                f'<td class="text{" bad" if failed else ""}">{escape(str(row.get("status")))}</td>',
            ]
        )
        if row.get("error"):  # on a line of its own, under its run, as wide as the table
            body.append([f'<td class="text error" colspan="{len(head)}">{escape(str(row["error"]))}</td>'])
    return _table(head, body)


def _table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    header = "".join(f'<th scope="col"{_align(h)}>{escape(h)}</th>' for h in head)
    lines = "\n".join("<tr>" + "".join(cells) + "</tr>" for cells in body)
    table = f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n{lines}\n</tbody>\n</table>"
    return f'<div class="wide">{table}</div>'  # a table wider than the page scrolls, alone


def _align(header: str) -> str:
    return ' class="text"' if header in ("strategy", "task", "status") else ""


def _name(value: str) -> str:
    return f'<td class="text name">{escape(value)}</td>'


def _task(row: Mapping[str, Any]) -> str:
    """The suite's task id, else the task's first line, shortened; the text whole (up to a point) on hover."""
    lines = str(row.get("task") or "").strip().splitlines()
    label = str(row.get("instance_id") or (lines[0] if lines else ""))
    if len(label) > TASK_CHARS or (len(lines) > 1 and not row.get("instance_id")):
        label = label[: TASK_CHARS - 1].rstrip() + "…"
    return f'<td class="text task" title="{escape(str(row.get("task") or "")[:500])}">{escape(label)}</td>'


def _num(value: str) -> str:
    return f"<td>{escape(value)}</td>"


def _outcome(s: Mapping[str, Any]) -> str:
    rate, ci = s.get("rate"), s.get("ci95")
    if rate is None:
        return _num("not judged")
    interval = f" [{ci[0]:.0%}, {ci[1]:.0%}]" if ci else ""
    return _num(f"{s.get('resolved', 0)}/{s.get('judged', s.get('tasks', 0))} · {rate:.0%}{interval}")


def _phase_tokens(usage: Mapping[str, Any] | None) -> int:
    usage = usage or {}
    return int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)


def _tokens(value: float | None) -> str:
    return "-" if value is None else tokens(round(value))


def _money(value: float | None) -> str:
    if value is None:
        return "?"
    return f"${value:.2f}" if value >= 0.1 else f"${value:.4f}"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.0f}"


def _plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
