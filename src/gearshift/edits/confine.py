"""Which files a reply may write: inside the repository, outside git's own files, not secrets.

A path from a model is untrusted. It is refused when it is absolute or climbs out with '..';
when any component is git's directory under any spelling a filesystem may take for it (any
case, trailing dots or spaces, an NTFS short name or stream, characters HFS+ ignores); when it
runs through a symbolic link, into a nested repository (a directory holding a ``.git``, such as
a submodule), or under ``.gearshift``; when it is too long for the filesystem; and, asking git,
when the file is ignored, or is secret-looking and not tracked. All of this is checked for every
block before any file is written.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path, PurePosixPath

from gearshift.context.files import is_secret
from gearshift.edits.bounds import shown
from gearshift.errors import EditError

SEALED = (".git", ".gearshift")
# code points some filesystems drop from names (HFS+ ignores them when it compares), and controls
_IGNORABLE = re.compile("[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sealed_name(part: str) -> str | None:
    """The sealed directory ``part`` would be taken for by some filesystem, if any."""
    name = _IGNORABLE.sub("", part).split(":", 1)[0].rstrip(". ").casefold()
    if name in SEALED:
        return name
    if name in ("git~1", "gearsh~1"):  # 8.3 short names on Windows
        return ".git" if name == "git~1" else ".gearshift"
    return None


def confined_path(root: Path, relative: str) -> Path:
    """The file ``relative`` names inside ``root``, or EditError if it points anywhere else."""
    name = shown(relative)
    if not relative or _CONTROL.search(relative):
        raise EditError(f"invalid path {name}: empty or with control characters")
    try:
        os.fsencode(relative)
    except UnicodeEncodeError:
        raise EditError(f"invalid path {name}: it cannot be encoded for the filesystem") from None
    normal = relative.replace("\\", "/")
    posix = PurePosixPath(normal)
    if posix.is_absolute() or re.match(r"[A-Za-z]:", normal):
        raise EditError(f"{name}: absolute paths are refused; use a path relative to the repository root")
    if normal.endswith("/") or not posix.parts:
        raise EditError(f"{name}: not a file path")
    if ".." in posix.parts:
        raise EditError(f"{name}: '..' is refused; paths stay inside the repository")
    for part in posix.parts:
        sealed = sealed_name(part)
        if sealed:
            raise EditError(f"{name}: writing under {sealed}/ is refused, at any depth and in any spelling")
    root = root.resolve()
    _check_length(root, posix, name)
    current = root
    for index, part in enumerate(posix.parts):
        current = current / part
        here = shown(str(current.relative_to(root)))
        if current.is_symlink():
            raise EditError(f"{name}: {here} is a symbolic link; writing through it is refused")
        last = index == len(posix.parts) - 1
        if not last and current.exists() and not current.is_dir():
            raise EditError(f"{name}: {here} is a file, not a directory")
        if not last and os.path.lexists(current / ".git"):
            raise EditError(
                f"{name}: {here} is another git repository (a submodule or"
                " nested checkout); gearshift writes only to the repository it runs in"
            )
    if current.exists() and not current.is_file():
        raise EditError(f"{name} is not a regular file")
    return current


def _check_length(root: Path, posix: PurePosixPath, name: str) -> None:
    try:
        name_max = os.pathconf(root, "PC_NAME_MAX")
        path_max = os.pathconf(root, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        name_max, path_max = 255, 4096
    for part in posix.parts:
        if len(os.fsencode(part)) > name_max:
            raise EditError(f"{name}: a name in the path is longer than the filesystem allows ({name_max} bytes)")
    # room for the temporary name the write goes through beside the file
    if len(os.fsencode(str(root / posix))) + 32 > path_max:
        raise EditError(f"{name}: the path is longer than the filesystem allows ({path_max} bytes)")


def refuse_unsafe_targets(root: Path, paths: list[str]) -> list[str]:
    """Problems with writing ``paths`` (confined, relative to ``root``) as git sees them: ignored
    files, and secret-looking files git does not track. Outside a git checkout nothing is
    tracked, so every secret-looking file is refused."""
    if not paths:
        return []
    root = root.resolve()
    in_git = os.path.lexists(root / ".git")
    problems = []
    if in_git:
        ignored = _git_lines(root, ["check-ignore", "-z", "--stdin"], paths, ok=(0, 1))
        problems += [f"{shown(p)} is ignored by git; gearshift does not write ignored files" for p in sorted(ignored)]
    secret = [p for p in paths if is_secret(p)]
    tracked: set[str] = set()
    if in_git and secret:
        tracked = _git_lines(root, ["--literal-pathspecs", "ls-files", "-z", "--", *secret], [], ok=(0,))
    problems += [
        f"{shown(p)} looks like a secrets file and git does not track it; gearshift does not write it"
        for p in secret
        if p not in tracked
    ]
    return problems


def _git_lines(root: Path, args: list[str], stdin: list[str], ok: tuple[int, ...]) -> set[str]:
    # ask about this checkout only: no repository above it, and none named by the environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=root,
            input=b"".join(os.fsencode(p) + b"\0" for p in stdin),
            capture_output=True,
            env=env,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EditError(f"cannot ask git which files may be written ({exc}); nothing was changed") from None
    if result.returncode not in ok:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        said = shown(" ".join(reason), 200)
        raise EditError(f"cannot ask git which files may be written ({said}); nothing was changed")
    return {os.fsdecode(item) for item in result.stdout.split(b"\0") if item}
