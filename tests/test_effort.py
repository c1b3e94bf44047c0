from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gearshift.effort import Effort, nearest_supported, normalise_effort, openai_model_efforts
from gearshift.errors import UsageError
from gearshift.settings import Settings

efforts = st.sampled_from(list(Effort))


@st.composite
def spellings(draw: st.DrawFn, effort: Effort) -> str:
    """``effort`` as a person might write it: any case, '-' or '_' between letters, space around."""
    out = []
    for i, letter in enumerate(effort.value):
        if i:
            out.append(draw(st.sampled_from(["", "", "-", "_"])))
        out.append(letter.upper() if draw(st.booleans()) else letter)
    pad = st.sampled_from(["", " ", "  ", "\t"])
    return draw(pad) + "".join(out) + draw(pad)


@st.composite
def spelled_efforts(draw: st.DrawFn) -> tuple[Effort, str]:
    effort = draw(efforts)
    return effort, draw(spellings(effort))


def test_scale_is_ordered_none_to_xhigh() -> None:
    assert [e.value for e in sorted(Effort, key=lambda e: e.rank)] == [
        "none",
        "minimal",
        "low",
        "medium",
        "high",
        "xhigh",
    ]


@given(st.sampled_from(list(Effort)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_parse_accepts_what_a_person_types(effort: Effort, pad: str, upper: bool) -> None:
    text = effort.value.upper() if upper else effort.value
    assert Effort.parse(f"{pad}{text}{pad}") is effort


@given(spelled_efforts())
def test_every_spelling_means_the_same_effort_everywhere(case: tuple[Effort, str]) -> None:
    effort, text = case
    assert normalise_effort(text) == effort.value
    assert Effort.parse(text) is effort
    assert Effort(text) is effort
    settings = Settings.model_validate({"effort": text, "phases": {"plan": {"effort": text}}})
    assert settings.effort is effort
    assert settings.phases.plan.effort is effort


@pytest.mark.parametrize("text", ["x-high", "X-High", " xhigh ", "x_high", "XHIGH"])
def test_xhigh_spellings(text: str) -> None:
    assert Effort(text) is Effort.XHIGH
    assert Effort.parse(text) is Effort.XHIGH
    assert Settings.model_validate({"phases": {"plan": {"effort": text}}}).phases.plan.effort is Effort.XHIGH


def test_run_flags_and_environment_take_x_high() -> None:
    from gearshift.cli.options import settings_flags as _flags
    from gearshift.settings import load_settings

    flags = _flags(effort_plan="x-high", effort_implement="Medium", effort_review="x_High")
    loaded = load_settings(flags=flags, environ={"GEARSHIFT_EFFORT": " X-High "})
    assert loaded.settings.phases.plan.effort is Effort.XHIGH
    assert loaded.settings.phases.implement.effort is Effort.MEDIUM
    assert loaded.settings.phases.review.effort is Effort.XHIGH
    assert loaded.settings.effort is Effort.XHIGH


def test_unknown_efforts_are_refused_on_both_paths() -> None:
    with pytest.raises(ValueError):
        Effort("extreme")
    with pytest.raises(ValidationError):
        Settings.model_validate({"phases": {"plan": {"effort": "extreme"}}})
    with pytest.raises(UsageError, match="unknown effort 'extreme': choose one of"):
        Effort.parse("extreme")


@given(st.text(max_size=12).filter(lambda t: t.strip().lower() not in {e.value for e in Effort}))
def test_parse_rejects_anything_else_with_the_choices(text: str) -> None:
    if text.strip().lower().replace("-", "").replace("_", "") in {e.value for e in Effort}:
        return
    with pytest.raises(UsageError, match="choose one of none, minimal, low, medium, high, xhigh"):
        Effort.parse(text)


@given(efforts, st.sets(efforts, min_size=1))
def test_nearest_supported_is_supported_and_closest(requested: Effort, supported: set[Effort]) -> None:
    chosen = nearest_supported(requested, supported)
    assert chosen in supported
    best = min(abs(e.rank - requested.rank) for e in supported)
    assert abs(chosen.rank - requested.rank) == best
    if requested in supported:
        assert chosen is requested


def test_ties_go_to_the_higher_level() -> None:
    assert nearest_supported(Effort.MINIMAL, {Effort.NONE, Effort.LOW}) is Effort.LOW
    assert nearest_supported(Effort.XHIGH, {Effort.LOW, Effort.MEDIUM, Effort.HIGH}) is Effort.HIGH
    assert nearest_supported(Effort.NONE, {Effort.LOW, Effort.HIGH}) is Effort.LOW


@pytest.mark.parametrize(
    ("model", "has", "lacks"),
    [
        ("gpt-5.4", Effort.XHIGH, Effort.MINIMAL),
        ("gpt-5.4-mini", Effort.NONE, Effort.MINIMAL),
        ("gpt-5.1", Effort.NONE, Effort.XHIGH),
        ("gpt-5", Effort.MINIMAL, Effort.NONE),
        ("gpt-5-mini-2025-08-07", Effort.MINIMAL, Effort.XHIGH),
        ("o3", Effort.HIGH, Effort.NONE),
    ],
)
def test_openai_families(model: str, has: Effort, lacks: Effort) -> None:
    levels = openai_model_efforts(model)
    assert has in levels
    assert lacks not in levels


def test_unknown_model_is_sent_what_was_asked() -> None:
    assert openai_model_efforts("my-finetune") == tuple(Effort)
