"""The ``manual`` provider: a person is the model, carrying each prompt to a chat window and the reply back.

Each call's prompt (instructions, input and, for a structured phase, the JSON schema and how to
answer) is written to ``NNNN-<label>.prompt.md`` in the run's folder (``Workspace.log_dir``), or,
for a call outside a run, in ``.gearshift/manual/`` of the current repository (``$GEARSHIFT_HOME/manual``
outside one), and put on the clipboard where there is one. gearshift then waits, at most
``providers.manual.deadline`` seconds, for the reply: pasted in the terminal (ended by a line
holding only ``.``, or by Ctrl-D), or saved beside the prompt as ``NNNN-<label>.reply.md``. A
pasted reply is saved there too, so the folder keeps each prompt with its reply, and a call whose
prompt is already there with a reply (the same question asked again, a run resumed after a time
out) takes that reply without asking. The reply is a model's reply like any other: untrusted text,
parsed strictly for a structured phase. Its tokens are counted offline: estimates, and said so.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.models.agents.command import offline_usage
from gearshift.models.agents.prompt import json_answer, render_prompt
from gearshift.models.base import Billing, Reply, Request
from gearshift.models.config import ProviderSettings
from gearshift.paths import find_repo_root, state_dir

REPLY_END = "."  # a line holding only this ends a pasted reply
POLL_SECONDS = 0.5
CLIPBOARD_SECONDS = 3.0  # a clipboard tool that takes longer is stuck (no display, a locked session)
# The first of these found on PATH that succeeds holds the prompt; each reads it on stdin.
CLIPBOARDS = (
    ("pbcopy",),
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("clip.exe",),
)
_PROMPT_FILE = re.compile(r"(?P<number>\d{4,})-(?P<label>.+)\.prompt\.md")


class ManualProvider:
    """A Provider answered by a person; see the module's docstring.

    ``stdin``, ``interactive``, ``notices``, ``poll_seconds``, ``clock`` and ``sleep`` are for tests and
    embedders: by default the terminal is sys.stdin (read only when it is a TTY) and notices go to sys.stderr.
    """

    name = "manual"
    billing: Billing | None = None  # the person's chat subscription is not ours to price
    edits_files = False  # it answers with text; implement asks for edit blocks, as from an API model
    interactive = True  # it talks to the person at the terminal: the gateway shows no spinner over it

    def __init__(
        self,
        config: ProviderSettings,
        environ: Mapping[str, str],
        *,
        stdin: TextIO | None = None,
        interactive: bool | None = None,
        notices: TextIO | None = None,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.environ = dict(environ)
        self._stdin = stdin
        self._interactive = interactive
        self._notices = notices
        self._poll = poll_seconds
        self._clock = clock
        self._sleep = sleep

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self.config.efforts or tuple(Effort)  # the person is told the level, to pick it in the chat

    def context_window(self, model: str) -> int | None:
        return None

    def supports_tools(self, model: str) -> bool:
        return False

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        started = time.monotonic()
        prompt = render_prompt(request, schema_in_prompt=True, read_only=False)
        prompt_file, reply_file, earlier = prompt_files(self._folder(request), prompt, _label(request))
        text = saved_reply(reply_file) if earlier else None
        if text is not None:
            self._say(f"taking the reply saved in {reply_file} to the same prompt; delete it to ask again")
        else:
            copied = copy_to_clipboard(prompt, self.environ) if self.config.clipboard else None
            stream = self._stdin if self._stdin is not None else sys.stdin
            interactive = _is_terminal(stream) if self._interactive is None else self._interactive
            self._tell(request, effort_sent, prompt_file, reply_file, copied, interactive)
            text, pasted = self._wait(prompt_file, reply_file, _Paste(stream) if interactive else None)
            if pasted:
                reply_file.write_text(text + "\n", encoding="utf-8")
        usage = offline_usage(prompt, text, request.model)
        self._say(
            f"reply taken ({usage.input_tokens:,} tokens in, {usage.output_tokens:,} out: counted offline, estimates)"
        )
        return Reply(
            text=json_answer(text) if request.schema is not None else text,
            usage=usage,
            model=request.model,
            effort_sent=effort_sent,
            latency_ms=int((time.monotonic() - started) * 1000),
            usage_estimated=True,
        )

    def _folder(self, request: Request) -> Path:
        workspace = request.workspace
        if workspace is not None and workspace.log_dir is not None:
            folder = workspace.log_dir
        else:
            folder = state_dir(find_repo_root(workspace.root if workspace else None)) / "manual"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _wait(self, prompt_file: Path, reply_file: Path, paste: _Paste | None) -> tuple[str, bool]:
        """The reply and whether it was pasted: the first of a paste ended and a saved file that stopped growing."""
        deadline = self._clock() + self.config.deadline
        saved = _ReplyFile(reply_file)
        while True:
            text = saved.poll()
            if text is not None:
                return text, False
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise ProviderError(
                    f"no reply to {prompt_file} within {self.config.deadline:.0f}s (providers.manual.deadline);"
                    f" to go on, save the reply as {reply_file} and run the same command again: gearshift takes"
                    " a saved reply to the same prompt",
                    status="timeout",
                )
            if paste is None:
                self._sleep(min(self._poll, remaining))
                continue
            pasted = paste.poll(min(self._poll, remaining))
            if pasted is None:
                continue
            if pasted.strip():
                return pasted.strip(), True
            paste = None  # Ctrl-D on an empty paste: the file is the way left
            self._say(f"nothing was pasted; still waiting for {reply_file}")

    def _tell(
        self,
        request: Request,
        effort: Effort | None,
        prompt_file: Path,
        reply_file: Path,
        copied: str | None,
        interactive: bool,
    ) -> None:
        model = "" if request.model in ("", "default") else f" for {request.model}"
        level = f" at effort {effort.value}" if effort is not None else ""
        clipboard = f" (also on the clipboard, by {copied})" if copied else ""
        minutes = f"{self.config.deadline / 60:.0f} min"
        if interactive:
            how = (
                f"paste the reply here and end it with a line holding only {REPLY_END!r} (or press Ctrl-D),"
                f" or save it as {reply_file}"
            )
        else:
            how = f"save the reply as {reply_file} (the input is not a terminal: nothing can be pasted)"
        self._say(
            f"a prompt{model}{level} is waiting in {prompt_file}{clipboard}.\n"
            f"  Give it to the model in your chat window, then {how}.\n"
            f"  Waiting up to {minutes} (providers.manual.deadline); Ctrl-C stops."
        )

    def _say(self, message: str) -> None:
        out = self._notices if self._notices is not None else sys.stderr
        print(f"gearshift: manual: {message}", file=out, flush=True)


def prompt_files(folder: Path, prompt: str, label: str) -> tuple[Path, Path, bool]:
    """The prompt's file and its reply's, and whether the same prompt was there already (then nothing is written).

    A new prompt takes the next free number; ``open(..., "x")`` keeps two calls at once from sharing one.
    """
    numbers = []
    for path in sorted(folder.iterdir()):
        match = _PROMPT_FILE.fullmatch(path.name)
        if match is None:
            continue
        numbers.append(int(match["number"]))
        if read_whole(path) == prompt:
            return path, _reply_of(path), True
    number = max(numbers, default=0) + 1
    while True:
        path = folder / f"{number:04d}-{label}.prompt.md"
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(prompt)
        except FileExistsError:
            number += 1
            continue
        return path, _reply_of(path), False


def read_whole(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None


def saved_reply(path: Path) -> str | None:
    """The reply saved in ``path``, None when there is none or it is blank."""
    text = read_whole(path)
    return text.strip() if text is not None and text.strip() else None


def copy_to_clipboard(text: str, environ: Mapping[str, str]) -> str | None:
    """Put ``text`` on the clipboard with the first tool on PATH that takes it; its name, or None.

    Each try is bounded: an X tool with no display, or a clipboard held by a locked session, must not
    keep the person waiting. Its output is not read: wl-copy and xclip leave a process serving the
    selection, which holds any pipe open.
    """
    for argv in CLIPBOARDS:
        program = shutil.which(argv[0], path=environ.get("PATH"))
        if program is None:
            continue
        try:
            done = subprocess.run(
                [program, *argv[1:]],
                input=text.encode(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=dict(environ),
                timeout=CLIPBOARD_SECONDS,
                check=False,
                start_new_session=True,  # the process serving the selection outlives a Ctrl-C at the prompt
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return argv[0]
    return None


class _ReplyFile:
    """A reply saved beside the prompt, taken once it has stopped changing between two polls: an editor
    saving it, or a `cat > file` still writing, is not read half-way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None

    def poll(self) -> str | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        seen, self._seen = self._seen, (info.st_size, info.st_mtime_ns)
        if info.st_size == 0 or seen != self._seen:
            return None
        return saved_reply(self.path)


class _Paste:
    """A reply pasted at the terminal, read line by line as it comes, never blocking past a poll.

    A stream with a file descriptor (the terminal) is read with select and os.read, so that a reply
    saved as a file meanwhile is not stuck behind a blocking read, and no read is left pending once
    the call is over. A stream without one (an in-memory stream) is read a line at a time.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.fd = _descriptor(stream)
        self.lines: list[str] = []
        self.partial = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def poll(self, timeout: float) -> str | None:
        """The pasted reply once it has ended (at the terminator or the end of input); None until then."""
        chunk = self._read(timeout)
        if chunk is None:
            return None
        if chunk == "":  # Ctrl-D: what was typed so far is the reply
            return "\n".join([*self.lines, self.partial])
        *complete, self.partial = (self.partial + chunk).split("\n")
        for line in complete:
            if line.rstrip("\r").strip() == REPLY_END:
                return "\n".join(self.lines)
            self.lines.append(line.rstrip("\r"))
        return None

    def _read(self, timeout: float) -> str | None:
        """New text, "" at the end of input, None when nothing came within ``timeout``."""
        if self.fd is None:
            return self.stream.readline()
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 65536)
        if not data:
            return ""
        return self.decoder.decode(data) or None  # None: half a character, the rest comes next


def _descriptor(stream: TextIO) -> int | None:
    with contextlib.suppress(AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return stream.fileno()
    return None


def _is_terminal(stream: TextIO) -> bool:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        return stream.isatty()
    return False


def _reply_of(prompt_file: Path) -> Path:
    return prompt_file.with_name(prompt_file.name.removesuffix(".prompt.md") + ".reply.md")


def _label(request: Request) -> str:
    """What the file names say the call is: the schema's name (plan, review), else the model, else "call"."""
    if request.schema is not None:
        label = request.schema.name
    elif request.model not in ("", "default"):
        label = request.model
    else:
        label = "call"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40] or "call"
