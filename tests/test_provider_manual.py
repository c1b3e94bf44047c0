"""The manual provider: the prompt written to a file (and the clipboard), the reply pasted or saved beside it.

The person is played by a thread that writes the reply file, or by an injected input stream; the
deadline by an injected clock, so that no test waits for it."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import GREETING_SCHEMA

from gearshift.context.tokens import counter_for
from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request, Workspace
from gearshift.models.agents import manual
from gearshift.models.agents.manual import ManualProvider
from gearshift.models.config import ProviderSettings


def _request(text: str = "what is 6 x 7?", **kw: Any) -> Request:
    return Request(instructions="be brief", input=text, **{"model": "default", "effort": Effort.HIGH, **kw})


def _provider(
    *,
    stdin: io.StringIO | Any = None,
    interactive: bool = False,
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> tuple[ManualProvider, io.StringIO]:
    notices = io.StringIO()
    provider = ManualProvider(
        ProviderSettings(**settings),
        {"PATH": ""} if environ is None else environ,  # no clipboard tool unless a test gives one
        stdin=stdin if stdin is not None else io.StringIO(),
        interactive=interactive,
        notices=notices,
        poll_seconds=0.02,
    )
    return provider, notices


@pytest.fixture
def person(tmp_path: Path) -> Iterator[Any]:
    """Answers the first prompt that appears in a folder by saving a reply file beside it, a little later."""
    threads: list[threading.Thread] = []

    def answer(folder: Path, text: str, delay: float = 0.2) -> None:
        def work() -> None:
            for _ in range(500):
                prompts = sorted(folder.glob("*.prompt.md")) if folder.is_dir() else []
                if prompts:
                    time.sleep(delay)
                    reply = prompts[-1].with_name(prompts[-1].name.replace(".prompt.md", ".reply.md"))
                    reply.write_text(text, encoding="utf-8")
                    return
                time.sleep(0.01)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        threads.append(thread)

    yield answer
    for thread in threads:
        thread.join(timeout=10)


def test_the_prompt_file_holds_the_schema_and_the_saved_reply_is_parsed(tmp_path: Path, person: Any) -> None:
    logs = tmp_path / "run"
    person(logs, '```json\n{"greeting": "hello"}\n```\n')
    provider, notices = _provider()
    request = _request("greet me", schema=GREETING_SCHEMA, workspace=Workspace(tmp_path, log_dir=logs))
    with Ledger(tmp_path / "ledger.db") as ledger:
        parsed = Gateway(ledger).call_structured(provider, request, CallSite("plan"), parse=lambda value: value)
        [call] = ledger.calls()

    assert parsed == {"greeting": "hello"}
    prompt = (logs / "0001-greeting.prompt.md").read_text(encoding="utf-8")
    assert prompt.startswith("be brief\n\ngreet me\n\n# Answer format\n")
    assert '"required": [\n  "greeting"\n ]' in prompt  # the schema itself, for the person to pass on
    # tokens counted offline, in o200k_base, and said to be estimates
    counter = counter_for("gpt-5")
    assert (call["provider"], call["input_tokens"], call["output_tokens"]) == (
        "manual",
        counter.count(prompt),
        counter.count('```json\n{"greeting": "hello"}\n```'),
    )
    said = notices.getvalue()
    assert f"is waiting in {logs / '0001-greeting.prompt.md'}" in said
    assert "at effort high" in said and "counted offline, estimates" in said
    assert "the input is not a terminal" in said


def test_a_reply_file_is_taken_once_it_appears(tmp_path: Path, person: Any) -> None:
    folder = Path(os.environ["GEARSHIFT_HOME"]) / "manual"  # outside a repository, a call outside a run
    person(folder, "It is 42.\n", delay=0.3)
    provider, _ = _provider()
    started = time.monotonic()
    reply = provider.complete(_request(), Effort.HIGH)

    assert reply.text == "It is 42."
    assert time.monotonic() - started >= 0.3
    assert sorted(p.name for p in folder.iterdir()) == ["0001-call.prompt.md", "0001-call.reply.md"]


def test_a_call_in_a_repository_keeps_its_prompts_in_its_state_folder(tmp_path: Path, person: Any) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    person(repo / ".gearshift" / "manual", "ok")
    provider, _ = _provider()
    provider.complete(_request(model="gpt-5.4", workspace=Workspace(repo)), Effort.HIGH)

    assert (repo / ".gearshift" / "manual" / "0001-gpt-5.4.prompt.md").is_file()
    assert (repo / ".gearshift" / ".gitignore").is_file()  # out of git, like the ledger


def test_a_pasted_reply_ends_at_the_terminator_and_is_saved_beside_the_prompt(tmp_path: Path) -> None:
    pasted = io.StringIO("The answer:\n\n  42\n.\nthis line is for someone else\n")
    provider, notices = _provider(stdin=pasted, interactive=True)
    reply = provider.complete(_request(workspace=Workspace(tmp_path, log_dir=tmp_path / "run")), Effort.HIGH)

    assert reply.text == "The answer:\n\n  42"
    assert (tmp_path / "run" / "0001-call.reply.md").read_text(encoding="utf-8") == "The answer:\n\n  42\n"
    assert pasted.readline() == "this line is for someone else\n"  # nothing read past the terminator
    assert "end it with a line holding only '.' (or press Ctrl-D)" in notices.getvalue()


def test_a_paste_ended_by_ctrl_d_is_taken_as_it_is(tmp_path: Path) -> None:
    provider, _ = _provider(stdin=io.StringIO("just this\nand this"), interactive=True)
    assert provider.complete(_request(), Effort.HIGH).text == "just this\nand this"


def test_a_paste_through_a_real_descriptor_is_read_as_it_comes(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()

    def type_slowly() -> None:
        for part in (b"first ", "line \xe2\x82".encode("latin-1"), b"\xac\nsecond\n", b".\n"):
            time.sleep(0.05)
            os.write(write_end, part)

    typist = threading.Thread(target=type_slowly, daemon=True)
    typist.start()
    with open(read_end, encoding="utf-8") as terminal, open(write_end, "wb", buffering=0):
        provider, _ = _provider(stdin=terminal, interactive=True)
        reply = provider.complete(_request(), Effort.HIGH)
        typist.join(timeout=5)

    assert reply.text == "first line \u20ac\nsecond"  # a character split between two reads is whole


def test_an_empty_paste_leaves_the_file_as_the_way(tmp_path: Path, person: Any) -> None:
    person(tmp_path / "run", "saved instead")
    provider, notices = _provider(stdin=io.StringIO(""), interactive=True)
    reply = provider.complete(_request(workspace=Workspace(tmp_path, log_dir=tmp_path / "run")), Effort.HIGH)

    assert reply.text == "saved instead"
    assert "nothing was pasted; still waiting for" in notices.getvalue()


def test_the_same_prompt_with_a_saved_reply_is_answered_without_asking(tmp_path: Path) -> None:
    run = tmp_path / "run"
    request = _request(workspace=Workspace(tmp_path, log_dir=run))
    provider, _ = _provider(stdin=io.StringIO("first answer\n.\n"), interactive=True)
    provider.complete(request, Effort.HIGH)

    again, notices = _provider(stdin=io.StringIO("never read\n.\n"), interactive=True, deadline=0.01)
    assert again.complete(request, Effort.HIGH).text == "first answer"
    assert "taking the reply saved in" in notices.getvalue()
    # a different prompt is a new file with the next number
    other, _ = _provider(stdin=io.StringIO("second answer\n.\n"), interactive=True)
    other.complete(_request("another question", workspace=Workspace(tmp_path, log_dir=run)), Effort.HIGH)
    assert sorted(p.name for p in run.iterdir()) == [
        "0001-call.prompt.md",
        "0001-call.reply.md",
        "0002-call.prompt.md",
        "0002-call.reply.md",
    ]


def test_no_reply_by_the_deadline_says_where_the_prompt_is_and_how_to_go_on(tmp_path: Path) -> None:
    now = [1000.0]
    provider = ManualProvider(
        ProviderSettings(deadline=900),
        {"PATH": ""},
        stdin=io.StringIO(),
        interactive=False,
        notices=io.StringIO(),
        clock=lambda: now[0],
        sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
    )
    run = tmp_path / "run"
    with pytest.raises(ProviderError) as caught:
        provider.complete(_request(workspace=Workspace(tmp_path, log_dir=run)), Effort.HIGH)

    assert caught.value.status == "timeout"
    assert caught.value.message == (
        f"no reply to {run / '0001-call.prompt.md'} within 900s (providers.manual.deadline); to go on, save the"
        f" reply as {run / '0001-call.reply.md'} and run the same command again: gearshift takes a saved reply"
        " to the same prompt"
    )
    assert now[0] >= 1900.0


CLIPBOARD_TOOL = """#!{python}
import json, sys
json.dump({{"argv": sys.argv[1:], "text": sys.stdin.read()}}, open({record!r}, "w"))
"""


def _fake_tool(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(body, encoding="utf-8")
    (bin_dir / name).chmod(0o755)


def test_the_prompt_goes_on_the_clipboard_found_on_path(tmp_path: Path) -> None:
    record = tmp_path / "clipboard.json"
    _fake_tool(tmp_path / "bin", "xclip", CLIPBOARD_TOOL.format(python=sys.executable, record=str(record)))
    pasted = io.StringIO("ok\n.\n")
    provider, notices = _provider(stdin=pasted, interactive=True, environ={"PATH": str(tmp_path / "bin")})
    provider.complete(_request(workspace=Workspace(tmp_path, log_dir=tmp_path / "run")), Effort.HIGH)

    got = json.loads(record.read_text(encoding="utf-8"))
    assert got == {
        "argv": ["-selection", "clipboard"],
        "text": (tmp_path / "run" / "0001-call.prompt.md").read_text(encoding="utf-8"),
    }
    assert "(also on the clipboard, by xclip)" in notices.getvalue()


def test_no_clipboard_when_the_setting_is_off(tmp_path: Path) -> None:
    record = tmp_path / "clipboard.json"
    _fake_tool(tmp_path / "bin", "pbcopy", CLIPBOARD_TOOL.format(python=sys.executable, record=str(record)))
    provider, notices = _provider(
        stdin=io.StringIO("ok\n.\n"), interactive=True, environ={"PATH": str(tmp_path / "bin")}, clipboard=False
    )
    provider.complete(_request(), Effort.HIGH)

    assert not record.exists() and "on the clipboard" not in notices.getvalue()


def test_a_stuck_or_failing_clipboard_tool_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manual, "CLIPBOARD_SECONDS", 0.5)
    record = tmp_path / "clipboard.json"
    _fake_tool(tmp_path / "bin", "wl-copy", f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")  # stuck
    _fake_tool(tmp_path / "bin", "xclip", f"#!{sys.executable}\nimport sys\nsys.exit('no display')\n")  # fails
    _fake_tool(tmp_path / "bin", "xsel", CLIPBOARD_TOOL.format(python=sys.executable, record=str(record)))
    started = time.monotonic()
    copied = manual.copy_to_clipboard("the prompt", {"PATH": str(tmp_path / "bin")})

    assert copied == "xsel"
    assert json.loads(record.read_text(encoding="utf-8")) == {"argv": ["--clipboard", "--input"], "text": "the prompt"}
    assert time.monotonic() - started < 5
    assert manual.copy_to_clipboard("x", {"PATH": str(tmp_path / "nothing-here")}) is None


def test_a_terminal_is_recognised_and_read_line_by_line(tmp_path: Path) -> None:
    import pty

    controller, terminal_fd = pty.openpty()
    try:
        with open(terminal_fd, encoding="utf-8", closefd=False) as terminal:
            notices = io.StringIO()
            provider = ManualProvider(ProviderSettings(), {"PATH": ""}, stdin=terminal, notices=notices)
            os.write(controller, b"typed at a terminal\n.\n")
            reply = provider.complete(_request(), Effort.HIGH)
    finally:
        os.close(terminal_fd)
        os.close(controller)

    assert reply.text == "typed at a terminal"
    assert "paste the reply here" in notices.getvalue()


def test_gearshift_ask_waits_for_the_reply_saved_beside_the_prompt(person: Any, cli: Any) -> None:
    folder = Path(os.environ["GEARSHIFT_HOME"]) / "manual"
    person(folder, "Paris.")

    result = cli("ask", "capital of France?", "--provider", "manual", "--effort", "low")

    assert (result.exit_code, result.stdout) == (0, "Paris.\n"), result.stderr
    assert f"is waiting in {folder / '0001-call.prompt.md'}" in result.stderr
    with Ledger(Path(os.environ["GEARSHIFT_HOME"]) / "ledger.db") as ledger:
        [call] = ledger.calls()
    assert (call["provider"], call["model"], call["effort_sent"], call["status"]) == ("manual", "default", "low", "ok")
    assert call["output_tokens"] == counter_for("gpt-5").count("Paris.")
