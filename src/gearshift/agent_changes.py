"""What an agent changed in a run's checkout, inspected before any of it is kept.

An agent CLI (codex, claude-code, gemini-cli) edits the checkout itself in implement. Its CLI's
sandbox should keep it inside, but gearshift takes no one's word for it: before the agent runs,
``take`` notes the checkout's state (what was already changed, with its content), the files of
git's own directories that steer what git runs (config, hooks, HEAD, refs) and gearshift's own
files; after it, ``inspect`` lists what the agent changed and refuses, rolling everything back,
a change under .git or .gearshift at any depth, a symlink, or a path that leads out of the
checkout through one. The refusal is an EditError, so the step asks again with the reason, as
for edit blocks that do not apply.

Writes outside the repository altogether cannot be seen from here: keeping the agent from making
them is its sandbox's work (codex's workspace-write, Claude Code's and Gemini's edit modes).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gearshift import workspace
from gearshift.errors import EditError

# gearshift's own files that change while an agent runs, written by gearshift itself
_OWN_CHANGING = ("ledger.db", "ledger.db-wal", "ledger.db-shm", "ledger.db-journal")
_GIT_GUARDED = ("config", "HEAD", "packed-refs", "commondir", "gitdir", "info", "hooks", "refs")
_KEEP_BYTES = 1 << 20  # a guarded file is kept whole, to be put back, up to this size; a larger one as a digest
_DIGEST = b"\0sha256:"


@dataclass(frozen=True)
class Snapshot:
    """The state an agent's run is judged against, and put back to."""

    checkout: Path
    repo_root: Path
    head: str
    dirty: dict[str, bytes | None]  # changed since HEAD before the agent ran: content (None: absent)
    guarded: dict[Path, bytes]  # git's and gearshift's own files: content, or a digest when large
    nested_git: frozenset[str]  # .git entries below the top (git status never shows what is in them)
    skip: tuple[Path, ...]  # inside the guarded places but gearshift's to write: the ledger, the agent's logs


def take(checkout: Path, repo_root: Path, *, skip: Iterable[Path] = ()) -> Snapshot:
    """Note the checkout's state before an agent runs in it. ``skip``: places gearshift writes meanwhile."""
    dirty = {path: _read(checkout / path) for path in _changed(checkout)}
    skipped = (
        *(repo_root / ".gearshift" / name for name in _OWN_CHANGING),
        *skip,
        repo_root / ".gearshift" / "worktrees",
    )
    guarded = {path: _kept(path) for place in _guarded_places(checkout, repo_root) for path in _files(place, skipped)}
    head = workspace.head(checkout)
    return Snapshot(checkout, repo_root, head, dirty, guarded, _nested_git(checkout), tuple(skipped))


def inspect(snapshot: Snapshot) -> list[str]:
    """The paths the agent changed, relative to the checkout; EditError, with everything put back as it
    was, when any change is one gearshift refuses."""
    changed = changed_since(snapshot)
    problems = [problem for path in changed if (problem := _refused(snapshot.checkout, path))]
    problems += [f"{path}: under .git" for path in sorted(_nested_git(snapshot.checkout) - snapshot.nested_git)]
    guarded = _guarded_changes(snapshot)
    if workspace.head(snapshot.checkout) != snapshot.head:
        problems.append("it made a commit (HEAD moved); gearshift commits each step itself")
    elif guarded:
        problems.append(f"it changed git's or gearshift's own files: {', '.join(guarded[:5])}")
    if problems:
        roll_back(snapshot, changed)
        raise EditError(
            "the agent's changes were refused and rolled back: "
            + "; ".join(problems[:5])
            + ". Edit only the repository's files, through their own paths, and do not commit"
        )
    return changed


def changed_since(snapshot: Snapshot) -> list[str]:
    """Paths whose content differs from the snapshot: new, edited or deleted since the agent started."""
    now = set(_changed(snapshot.checkout))
    candidates = now | set(snapshot.dirty)
    return sorted(
        path
        for path in candidates
        if (path in snapshot.dirty and _read(snapshot.checkout / path) != snapshot.dirty[path])
        or (path not in snapshot.dirty and path in now)
    )


def roll_back(snapshot: Snapshot, changed: Iterable[str] | None = None) -> None:
    """Put the checkout, git's own files and gearshift's back as they were before the agent ran."""
    if workspace.head(snapshot.checkout) != snapshot.head:
        workspace.git(snapshot.checkout, "reset", "-q", "--soft", snapshot.head)
    for guarded, content in snapshot.guarded.items():
        if not content.startswith(_DIGEST) and _kept(guarded) != content:
            _write(guarded, content)
    for added in _new_guarded(snapshot):
        _remove(added)
    for nested in _nested_git(snapshot.checkout) - snapshot.nested_git:
        _remove(snapshot.checkout / nested)
    paths = sorted({*changed_since(snapshot), *(changed or ())})  # after the reset: a commit's files too
    tracked = set(workspace.git(snapshot.checkout, "ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0"))
    for path in paths:
        target = snapshot.checkout / path
        _unlink_symlinked_parents(snapshot.checkout, path)  # never write or delete through a link
        if path in snapshot.dirty:
            before = snapshot.dirty[path]
            _remove(target) if before is None else _write(target, before)
        elif path in tracked:
            _remove(target)  # a symlink put in its place must go before git writes the file back
            workspace.git(snapshot.checkout, "checkout", "-q", "HEAD", "--", path)
        else:
            _remove(target)
    if paths:
        workspace.git(snapshot.checkout, "reset", "-q", "--", *paths, check=False)


def _unlink_symlinked_parents(checkout: Path, path: str) -> None:
    current = checkout
    for part in PurePosixPath(path).parts[:-1]:
        current = current / part
        if current.is_symlink():
            current.unlink()
            return


def _refused(checkout: Path, path: str) -> str | None:
    """Why a changed path is refused; None when it is an ordinary file of the repository."""
    parts = PurePosixPath(path).parts
    if not parts or path.endswith("/"):
        return f"{path}: a directory of its own (a nested repository?)"
    if ".git" in parts or any(part.lower() == ".git" for part in parts):
        return f"{path}: under .git"
    if ".gearshift" in parts:
        return f"{path}: under .gearshift"
    current = checkout
    for part in parts:
        current = current / part
        if current.is_symlink():
            return f"{path}: a symlink" if current == checkout / path else f"{path}: through the symlink {part}"
    resolved = (checkout / path).resolve()
    if resolved != checkout.resolve() and checkout.resolve() not in resolved.parents:
        return f"{path}: outside the checkout"
    return None


def _changed(checkout: Path) -> list[str]:
    """Tracked files changed and untracked ones added (not ignored), as git names them (no quoting)."""
    out = workspace.git(checkout, "status", "--porcelain", "-z", "--untracked-files=all")
    entries = out.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename's source follows as its own entry
            paths.append(entries[index])
            index += 1
    return paths


def _nested_git(checkout: Path) -> frozenset[str]:
    """Every file or directory named .git (in any case) below the checkout's top, found by walking it:
    git hides them, and a nested repository's config or hooks run code when git enters it."""
    found: set[str] = set()
    for directory, subdirectories, names in os.walk(checkout):
        here = Path(directory)
        top = here == checkout
        for name in [*subdirectories, *names]:
            if name.lower() == ".git" and not top:
                found.add((here / name).relative_to(checkout).as_posix())
        # not into git's own directory, nested ones (found already) or gearshift's (guarded apart)
        subdirectories[:] = [name for name in subdirectories if name.lower() not in (".git", ".gearshift")]
    return frozenset(found)


def _guarded_places(checkout: Path, repo_root: Path) -> Iterator[Path]:
    """Where an agent must not write: git's directories (the worktree's and the common one) and .gearshift."""
    git_dir = Path(workspace.git(checkout, "rev-parse", "--absolute-git-dir").strip())
    common = Path(workspace.git(checkout, "rev-parse", "--path-format=absolute", "--git-common-dir").strip())
    for directory in dict.fromkeys((git_dir, common)):
        for name in _GIT_GUARDED:
            yield directory / name
    yield repo_root / ".gearshift"


def _files(place: Path, skipped: tuple[Path, ...]) -> Iterator[Path]:
    if any(place == skip or skip in place.parents for skip in skipped):
        return
    if place.is_symlink() or place.is_file():
        yield place
        return
    if not place.is_dir():
        return
    for directory, subdirectories, names in os.walk(place):
        here = Path(directory)
        subdirectories[:] = [name for name in subdirectories if here / name not in skipped]
        for name in names:
            path = here / name
            if path not in skipped:
                yield path


def _guarded_changes(snapshot: Snapshot) -> list[str]:
    changed = [str(path) for path, content in snapshot.guarded.items() if _kept(path) != content]
    return changed + [str(path) for path in _new_guarded(snapshot)]


def _new_guarded(snapshot: Snapshot) -> list[Path]:
    places = _guarded_places(snapshot.checkout, snapshot.repo_root)
    return [path for place in places for path in _files(place, snapshot.skip) if path not in snapshot.guarded]


def _kept(path: Path) -> bytes:
    """A guarded file's content, or a digest of it when it is too large to keep (then it is not put back)."""
    content = _read(path) or b""
    return content if len(content) <= _KEEP_BYTES else _DIGEST + hashlib.sha256(content).hexdigest().encode()


def _read(path: Path) -> bytes | None:
    if path.is_symlink():
        return b"symlink:" + os.readlink(path).encode()
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _write(path: Path, content: bytes) -> None:
    _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _remove(path: Path) -> None:
    """Remove what is at ``path`` without following a symlink; a directory whole."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
