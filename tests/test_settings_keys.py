"""Dotted settings keys: a table survives flattening and back, model names with dots included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.settings import load_settings
from gearshift.settings_keys import flatten, split_key, unflatten

# table keys as people write them: model names with dots and dashes, never a quote
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._", min_size=1, max_size=12).filter(
    lambda name: name.strip(".") == name and ".." not in name
)
leaves = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=8), st.booleans())
tables = st.recursive(leaves, lambda inner: st.dictionaries(names, inner, min_size=1, max_size=4), max_leaves=12)


@given(st.dictionaries(names, tables, min_size=1, max_size=4))
def test_a_table_comes_back_from_its_dotted_keys(table: dict[str, Any]) -> None:
    assert unflatten(flatten(table)) == table


def test_a_part_with_a_dot_is_quoted_as_toml_writes_it() -> None:
    assert flatten({"pricing": {"gpt-5.4": {"input": 1.25}}}) == {'pricing."gpt-5.4".input': 1.25}
    assert split_key('pricing."gpt-5.4".input') == ["pricing", "gpt-5.4", "input"]


def test_a_price_for_a_model_with_a_dot_in_its_name_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "gearshift-home"
    home.mkdir()
    (home / "config.toml").write_text('[pricing."gpt-5.4"]\ninput = 1.25\noutput = 10.0\n')
    monkeypatch.setenv("GEARSHIFT_HOME", str(home))
    loaded = load_settings(cwd=tmp_path)
    assert loaded.settings.pricing["gpt-5.4"].output == 10.0
    assert loaded.source_of('pricing."gpt-5.4".input') == str(home / "config.toml")
