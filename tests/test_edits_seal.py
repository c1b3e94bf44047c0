"""A reply never writes git's own files, nested repositories, ignored files or untracked secrets,
and a failure midway leaves every file as it was."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gearshift.edits import EditBlock, apply_edit_blocks, confined_path, parse_edit_blocks
from gearshift.edits import apply as apply_module
from gearshift.errors import EditError


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "ok.py").write_text("ok = 1\n")
    (root / ".gitignore").write_text(".env\nbuild/\n")
    (root / "sub").mkdir()
    (root / "sub" / "mod.py").write_text("m = 1\n")
    git(root, "add", "-A")
    return root


def files_in(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts[:1]
    }


@pytest.mark.parametrize(
    "path",
    [
        "sub/.git/config",
        "sub/.git/hooks/pre-commit",
        ".GIT/config",
        "sub/.Git/hooks/post-checkout",
        ".git./config",
        ".git /config",
        "git~1/config",
        ".git::$INDEX_ALLOCATION/config",
        ".g\u200cit/config",
        "sub/.git",
        "a/b/.gearshift/ledger.db",
        "sub\\.git\\config",
    ],
)
def test_git_directories_are_sealed_at_any_depth_and_in_any_spelling(repo: Path, path: str) -> None:
    before = files_in(repo)
    blocks = [EditBlock("ok.py", "ok = 1\n", "ok = 2\n", 1), EditBlock(path, "", "x\n", 6)]  # as any parser might give
    with pytest.raises(EditError, match="is refused"):
        apply_edit_blocks(repo, blocks)
    assert files_in(repo) == before
    assert not (repo / "sub" / ".git").exists()


def test_a_nested_repository_or_submodule_is_not_written(repo: Path) -> None:
    (repo / "vendor" / "lib").mkdir(parents=True)
    (repo / "vendor" / "lib" / ".git").write_text("gitdir: ../../.git/modules/lib\n")  # a gitlink file
    (repo / "vendor" / "lib" / "code.py").write_text("c = 1\n")
    with pytest.raises(EditError, match="another git repository"):
        apply_edit_blocks(repo, parse_edit_blocks(block("vendor/lib/code.py", "c = 1\n", "c = 2\n")))
    assert (repo / "vendor" / "lib" / "code.py").read_text() == "c = 1\n"


def test_an_ignored_env_file_is_refused_before_anything_is_written(repo: Path) -> None:
    (repo / ".env").write_text("API_KEY=the-users-own\n")
    reply = block("ok.py", "ok = 1\n", "ok = 2\n") + block(".env", "API_KEY=the-users-own\n", "API_KEY=x\n")
    with pytest.raises(EditError, match=r"'\.env' is ignored by git"):
        apply_edit_blocks(repo, parse_edit_blocks(reply))
    assert (repo / ".env").read_text() == "API_KEY=the-users-own\n"
    assert (repo / "ok.py").read_text() == "ok = 1\n"


def test_an_ignored_directory_is_refused(repo: Path) -> None:
    with pytest.raises(EditError, match="ignored by git"):
        apply_edit_blocks(repo, parse_edit_blocks(block("build/gen.py", "", "g = 1\n")))
    assert not (repo / "build").exists()


def test_an_untracked_secret_is_refused_and_a_tracked_one_may_be_edited(repo: Path) -> None:
    (repo / "id_rsa").write_text("KEY\n")
    with pytest.raises(EditError, match="looks like a secrets file and git does not track it"):
        apply_edit_blocks(repo, parse_edit_blocks(block("id_rsa", "KEY\n", "OTHER\n")))
    with pytest.raises(EditError, match="looks like a secrets file"):
        apply_edit_blocks(repo, parse_edit_blocks(block("conf/credentials.json", "", "{}\n")))
    assert (repo / "id_rsa").read_text() == "KEY\n"
    assert not (repo / "conf").exists()
    (repo / ".env.example").write_text("API_KEY=\n")
    git(repo, "add", ".env.example")
    assert apply_edit_blocks(repo, parse_edit_blocks(block(".env.example", "API_KEY=\n", "API_KEY=\nDEBUG=\n"))) == [
        ".env.example"
    ]


def test_outside_a_git_checkout_every_secret_looking_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EditError, match="looks like a secrets file"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(block(".npmrc", "", "//registry/:_authToken=x\n")))
    assert not (tmp_path / ".npmrc").exists()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("a" * 300 + ".py", "a name in the path is longer than the filesystem allows"),
        ("/".join(["d" * 200] * 30) + "/x.py", "the path is longer than the filesystem allows"),
    ],
)
def test_paths_too_long_for_the_filesystem_are_refused_in_one_line(repo: Path, path: str, words: str) -> None:
    with pytest.raises(EditError, match=words) as caught:
        apply_edit_blocks(repo, parse_edit_blocks(block(path, "", "x\n")))
    assert "\n" not in caught.value.message
    assert len(caught.value.message) < 400  # the path itself is not echoed whole


def test_control_characters_in_a_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EditError, match="control characters"):
        confined_path(tmp_path, "a\tb.py")


def test_a_write_failing_midway_puts_every_file_back(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace
    calls = []

    def failing(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(apply_module.os, "replace", failing)
    reply = (
        block("ok.py", "ok = 1\n", "ok = 2\n")
        + block("new/deep/made.py", "", "n = 1\n")
        + block("sub/mod.py", "m = 1\n", "m = 2\n")
    )
    before = files_in(repo)
    with pytest.raises(EditError, match=r"writing .* failed \(No space left on device\); no file was changed"):
        apply_edit_blocks(repo, parse_edit_blocks(reply))
    assert files_in(repo) == before
    assert not (repo / "new").exists()
    assert not list(repo.rglob(".gearshift-*.tmp"))


def test_an_interruption_midway_puts_every_file_back_and_goes_on(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace
    calls = []

    def interrupted(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(source, target)

    monkeypatch.setattr(apply_module.os, "replace", interrupted)
    before = files_in(repo)
    with pytest.raises(KeyboardInterrupt):
        apply_edit_blocks(
            repo, parse_edit_blocks(block("ok.py", "ok = 1\n", "ok = 2\n") + block("sub/mod.py", "m = 1\n", "m = 2\n"))
        )
    assert files_in(repo) == before


def test_a_new_file_gets_the_usual_permissions_and_an_edited_one_keeps_its_own(repo: Path) -> None:
    os.chmod(repo / "ok.py", 0o755)
    apply_edit_blocks(repo, parse_edit_blocks(block("ok.py", "ok = 1\n", "ok = 2\n") + block("n.py", "", "n = 1\n")))
    assert (repo / "ok.py").stat().st_mode & 0o777 == 0o755
    umask = os.umask(0)
    os.umask(umask)
    assert (repo / "n.py").stat().st_mode & 0o777 == 0o666 & ~umask
