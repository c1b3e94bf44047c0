"""What a check's output may hold, and how much of it: bounded by bytes, and no secrets."""

from __future__ import annotations

import json
import os
import sys
import tracemalloc
from pathlib import Path

import pytest

from gearshift.checks import OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES, check_environment, run_check, truncate_output

HUNDRED_MB_ON_ONE_LINE = """\
import sys
out = sys.stdout.buffer
out.write(b"FIRST ")
for _ in range(100):
    out.write(b"x" * 1_000_000)
out.write(b" LAST\\n1 failed\\n")
sys.exit(1)
"""


@pytest.mark.timeout(120)
def test_a_hundred_megabytes_on_one_line_is_kept_by_its_ends_in_bounded_memory(tmp_path: Path) -> None:
    script = tmp_path / "loud.py"
    script.write_text(HUNDRED_MB_ON_ONE_LINE)
    tracemalloc.start()
    try:
        result = run_check(f"{sys.executable} {script}", tmp_path, timeout=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.passed, result.exit_code) == (False, 1)
    assert len(result.output) < OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES + 200
    assert result.output.startswith("FIRST xxx")
    assert result.output.endswith(" LAST\n1 failed\n")
    assert "bytes of output left out" in result.output
    assert peak < 20_000_000  # read in chunks, not gathered whole: 100 MB never sat in memory
    assert len(truncate_output(result.output)) < 21_000


def test_truncate_output_bounds_characters_as_well_as_lines() -> None:
    text = "start\n" + "y" * 1_000_000 + "\n" + "\n".join(f"line {n}" for n in range(500)) + "\nsummary: 3 failed"
    cut = truncate_output(text, head=10, tail=20, max_chars=2_000)
    assert len(cut) < 2_100
    assert cut.startswith("start\n")
    assert cut.endswith("summary: 3 failed")
    assert "characters left out" in cut


def test_the_check_does_not_see_gearshifts_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-proj-openai-secret-1",
        "ANTHROPIC_API_KEY": "sk-ant-secret-2",
        "GH_TOKEN": "ghp_secret_3",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-4",
        "DJANGO_SECRET_KEY": "django-secret-5",
        "PGPASSWORD": "pg-secret-6",
    }
    kept = {"TOKENIZERS_PARALLELISM": "false", "VIRTUAL_ENV": "/venv", "LC_ALL": "C.UTF-8"}
    for name, value in {**secrets, **kept}.items():
        monkeypatch.setenv(name, value)
    script = "import json, os; print(json.dumps(dict(os.environ)))"
    result = run_check(f'{sys.executable} -c "{script}"', tmp_path)
    seen = json.loads(result.output)
    assert not set(secrets) & set(seen)
    assert {name: seen.get(name) for name in kept} == kept
    for name in ("PATH", "HOME"):
        assert seen[name] == os.environ[name]


def test_a_secret_the_check_prints_from_elsewhere_is_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-from-the-environment")
    (tmp_path / ".env").write_text("export STRIPE_SECRET_KEY='sk_live_from_dotenv'\nDEBUG=true\n")
    (tmp_path / "settings.txt").write_text("key=sk-proj-from-the-environment stripe=sk_live_from_dotenv debug=true\n")
    result = run_check(f"{sys.executable} -c \"print(open('settings.txt').read())\"", tmp_path)
    assert "sk-proj-from-the-environment" not in result.output
    assert "sk_live_from_dotenv" not in result.output
    assert "[secret OPENAI_API_KEY left out]" in result.output
    assert "[secret STRIPE_SECRET_KEY in .env left out]" in result.output
    assert "debug=true" in result.output


@pytest.mark.parametrize(
    "name",
    ["OPENAI_API_KEY", "MY_APIKEY", "GITHUB_TOKEN", "GH_PAT", "AZURE_CLIENT_SECRET", "PGPASSWORD", "AWS_ACCESS_KEY_ID"],
)
def test_secret_names_are_dropped(name: str) -> None:
    assert check_environment({name: "x", "PATH": "/bin"}) == {"PATH": "/bin"}


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "LANG", "TERM", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH", "DATABASE_URL", "CI", "KEYBOARD"]
)
def test_what_a_test_suite_needs_is_kept(name: str) -> None:
    assert check_environment({name: "x"}) == {name: "x"}
