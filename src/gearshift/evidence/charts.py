"""The report page's charts, drawn by matplotlib and returned as inline SVG text. Pure: summary in, SVG out.

Imports matplotlib at the top: import this module only when a chart is wanted (``html.render_page``
does, lazily). No pyplot, so no global figure state and no GUI backend: a ``Figure`` saved as SVG,
its text drawn as paths (no font needed where the page is viewed), its ids salted per chart so
that several charts share one page without clashing, and without the metadata block.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from gearshift.evidence.records import PHASE_NAMES
from gearshift.report import tokens

# Okabe-Ito: told apart with every common colour-vision deficiency
PHASE_COLOURS = {"plan": "#0072B2", "implement": "#009E73", "fix": "#D55E00", "review": "#CC79A7"}
POINT = "#0072B2"
WIDTH = 7.6  # inches; the page shows charts at up to 760 px


def charts(summary: Mapping[str, Any], word: str = "resolved") -> list[tuple[str, str]]:
    """(caption, svg) for each chart: tokens per phase, the rate with its interval, cost against rate.

    ``word`` is the verdict the cells had: "resolved" (a suite's hidden tests) or "accepted".
    """
    axis = "resolved rate" if word == "resolved" else "acceptance rate"
    strategies: Mapping[str, Mapping[str, Any]] = summary.get("strategies") or {}
    drawn = []
    style = {
        "text.parse_math": False,  # a strategy named "$x$" is text, not mathematics
        "svg.fonttype": "path",  # text as paths: no font needed where the page is viewed
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with mpl.rc_context(style):  # type: ignore[arg-type]  # matplotlib types the keys as literals
        for name, fig, caption in (
            ("tokens", tokens_chart(strategies), "Tokens per phase, mean per run (input + output)"),
            ("rate", rate_chart(strategies, axis), f"{axis.capitalize()} per strategy, with its 95% Wilson interval"),
            ("cost", cost_chart(strategies, axis), f"Cost per run against {axis}"),
        ):
            mpl.rcParams["svg.hashsalt"] = f"gearshift-{name}"  # ids unique on the page, and the same every time
            drawn.append((caption, svg(fig)))
    return drawn


def tokens_chart(strategies: Mapping[str, Mapping[str, Any]]) -> Figure:
    names = list(strategies)
    fig, ax = _figure(len(names))
    left = [0.0] * len(names)
    for phase in PHASE_NAMES:
        values = [float((strategies[n].get("tokens") or {}).get(phase) or 0) for n in names]
        ax.barh(names, values, left=left, color=PHASE_COLOURS[phase], label=phase, height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    top = max(left, default=0.0) or 1.0
    for y, total in enumerate(left):
        ax.text(total + top * 0.01, y, tokens_label(total), va="center", fontsize=9)
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: tokens_label(x)))
    ax.set_xlabel("tokens per run (mean)")
    ax.invert_yaxis()
    ax.legend(ncols=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    return fig


def rate_chart(strategies: Mapping[str, Mapping[str, Any]], axis: str = "resolved rate") -> Figure:
    names = list(strategies)
    fig, ax = _figure(len(names))
    ax.set_yticks(range(len(names)), names)
    for y, name in enumerate(names):
        s = strategies[name]
        rate, ci = s.get("rate"), s.get("ci95")
        if rate is None:
            ax.text(0.01, y, "not judged", va="center", color="#666666", fontsize=9)
            continue
        lo, hi = ci if ci else (rate, rate)
        ax.errorbar([rate], [y], xerr=[[rate - lo], [hi - rate]], fmt="o", color=POINT, capsize=4)
        label = f"{rate:.0%}  ({s.get('resolved', 0)}/{s.get('judged', s.get('tasks', 0))})"
        if hi <= 0.72:
            ax.text(hi + 0.02, y, label, va="center", fontsize=9)
        else:
            ax.text(lo - 0.02, y, label, va="center", ha="right", fontsize=9)
    ax.set_xlim(-0.02, 1.02)  # a point at 0% or 100% is drawn whole
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(axis)
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    return fig


def cost_chart(strategies: Mapping[str, Mapping[str, Any]], axis: str = "resolved rate") -> Figure:
    points = [
        (name, float(s["cost_usd"]), float(s["rate"]), s.get("ci95"))
        for name, s in strategies.items()
        if s.get("cost_usd") is not None and s.get("rate") is not None
    ]
    fig = Figure(figsize=(WIDTH, 4.2), layout="constrained")
    ax = fig.add_subplot()
    if not points:
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"no strategy has both a cost and a {axis}", ha="center", color="#666666")
        return fig
    right = max(cost for _, cost, _, _ in points) * 1.3 or 1.0
    placed: list[tuple[float, float]] = []
    for name, cost, rate, ci in points:
        if ci:
            ax.errorbar([cost], [rate], yerr=[[rate - ci[0]], [ci[1] - rate]], color="#bbbbbb", capsize=3)
        ax.scatter([cost], [rate], color=POINT, s=40, zorder=3)
        # labels of points that (nearly) coincide are stacked instead of drawn over one another
        near = sum(abs(cost - x) / right < 0.12 and abs(rate - y) < 0.06 for x, y in placed)
        ax.annotate(name, (cost, rate), xytext=(7, 5 - 13 * near), textcoords="offset points", fontsize=9)
        placed.append((cost, rate))
    ax.set_xlim(0, right)
    ax.set_ylim(-0.05, 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"${x:.2f}" if right < 10 else f"${x:.0f}"))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("cost per run (USD, mean)")
    ax.set_ylabel(axis)
    ax.grid(color="#eeeeee")
    ax.set_axisbelow(True)
    return fig


def svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element to inline: no XML prolog, no doctype, no metadata."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def tokens_label(value: float) -> str:
    return tokens(round(value))


def _figure(rows: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, 1.3 + 0.5 * max(rows, 1)), layout="constrained")
    return fig, fig.add_subplot()
