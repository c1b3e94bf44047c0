"""The command provider: a fake program written per test speaks the documented contract (prompt on stdin,
reply on stdout, usage on the last line or in a side file, GS_CALL_* variables)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import GREETING_SCHEMA

from gearshift.context.tokens import counter_for
from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request, Workspace
from gearshift.models.agents.command import CommandProvider
from gearshift.models.config import ProviderSettings


def _program(tmp_path: Path, body: str, name: str = "fake-llm") -> Path:
    """A Python script standing in for the user's program; ``seen`` is where it notes what it got."""
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    head = f"#!{sys.executable}\nimport json, os, sys\nseen = {str(tmp_path / 'seen.json')!r}\n"
    path.write_text(head + body, encoding="utf-8")
    path.chmod(0o755)
    return path


RECORD = """
prompt = sys.stdin.read()
json.dump({"argv": sys.argv[1:], "prompt": prompt, "cwd": os.getcwd(),
           "env": {k: v for k, v in os.environ.items() if k.startswith("GS_CALL_")}}, open(seen, "w"))
"""


def _seen(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "seen.json").read_text(encoding="utf-8")))


def _provider(command: str | Path, **settings: Any) -> CommandProvider:
    return CommandProvider(ProviderSettings(command=str(command), **settings), dict(os.environ))


def _request(text: str = "say hello", **kw: Any) -> Request:
    return Request(instructions="be brief", input=text, **{"model": "default", "effort": Effort.HIGH, **kw})


def test_the_prompt_goes_on_stdin_and_stdout_is_the_reply(tmp_path: Path) -> None:
    prog = _program(tmp_path, RECORD + 'print("hello from " + prompt.split()[-1])\n')
    reply = _provider(prog).complete(_request("say hello"), Effort.HIGH)

    assert reply.text == "hello from hello"
    seen = _seen(tmp_path)
    assert seen["prompt"] == "be brief\n\nsay hello\n"
    assert seen["cwd"] == os.getcwd()  # no workspace: the current directory
    # the effort and where usage may go; no model for "default", the program's own choice
    assert seen["env"] == {"GS_CALL_EFFORT": "high", "GS_CALL_USAGE_FILE": seen["env"]["GS_CALL_USAGE_FILE"]}
    # nothing reported: counted offline in o200k_base
    counter = counter_for("gpt-5")
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (
        counter.count(seen["prompt"]),
        counter.count(reply.text),
    )
    assert reply.native_cost_usd is None and reply.model == "default" and reply.effort_sent == Effort.HIGH


def test_the_model_is_passed_and_a_callers_own_gs_call_variables_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GS_CALL_SCHEMA", "/somewhere/else.json")
    prog = _program(tmp_path, RECORD + 'print("ok")\n')
    _provider(prog).complete(_request(model="gpt-5.4-mini", effort=Effort.LOW), Effort.LOW)

    env = _seen(tmp_path)["env"]
    assert (env["GS_CALL_MODEL"], env["GS_CALL_EFFORT"]) == ("gpt-5.4-mini", "low")
    assert "GS_CALL_SCHEMA" not in env


def test_every_effort_is_supported_unless_the_settings_narrow_them(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print("ok")\n')
    assert _provider(prog).supported_efforts("default") == tuple(Effort)
    assert _provider(prog, efforts=(Effort.LOW, Effort.HIGH)).supported_efforts("x") == (Effort.LOW, Effort.HIGH)


def test_usage_on_the_last_line_is_taken_off_the_reply(tmp_path: Path) -> None:
    usage = {"input_tokens": 1200, "cached_tokens": 200, "output_tokens": 300, "reasoning_tokens": 100}
    prog = _program(
        tmp_path,
        f'print("line one")\nprint("line two")\nprint()\nprint(json.dumps({ {**usage, "cost_usd": 0.0125}!r}))\n',
    )
    reply = _provider(prog).complete(_request(), Effort.HIGH)

    assert reply.text == "line one\nline two"
    assert reply.usage.__dict__ == usage
    assert reply.native_cost_usd == 0.0125


def test_usage_wrapped_in_a_usage_key_may_name_the_model(tmp_path: Path) -> None:
    line = {"usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}, "model": "local-7b"}
    prog = _program(tmp_path, f'print("answer")\nprint(json.dumps({line!r}))\n')
    reply = _provider(prog).complete(_request(), Effort.HIGH)

    assert (reply.text, reply.usage.input_tokens, reply.usage.output_tokens, reply.model) == (
        "answer",
        10,
        5,
        "local-7b",
    )


def test_a_one_line_json_answer_is_the_reply_not_usage(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print(json.dumps({"greeting": "hi", "output_tokens": 3}))\n')
    reply = _provider(prog).complete(_request(schema=GREETING_SCHEMA), Effort.HIGH)

    assert json.loads(reply.text) == {"greeting": "hi", "output_tokens": 3}


def test_a_usage_line_with_a_bad_count_is_refused(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print("answer")\nprint(json.dumps({"input_tokens": "many", "output_tokens": 1}))\n')
    with pytest.raises(ProviderError, match=r"input_tokens='many'; token counts must be whole numbers"):
        _provider(prog).complete(_request(), Effort.HIGH)


SIDE_FILE = """
json.dump({"input_tokens": 900, "output_tokens": 40, "cost_usd": 0.5}, open(os.environ["GS_CALL_USAGE_FILE"], "w"))
print("answer")
"""


def test_usage_from_the_side_file_the_program_is_told_of(tmp_path: Path) -> None:
    prog = _program(tmp_path, SIDE_FILE)
    reply = _provider(prog).complete(_request(), Effort.HIGH)

    assert (reply.text, reply.usage.input_tokens, reply.usage.output_tokens, reply.native_cost_usd) == (
        "answer",
        900,
        40,
        0.5,
    )


def test_a_configured_usage_file_is_relative_to_the_workspace_and_never_read_stale(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "usage.json").write_text('{"input_tokens": 1, "output_tokens": 1}', encoding="utf-8")  # an earlier call's
    prog = _program(tmp_path, RECORD + 'print("answer")\n')
    reply = _provider(prog, usage_file="usage.json").complete(_request(workspace=Workspace(root)), Effort.HIGH)

    seen = _seen(tmp_path)
    assert seen["cwd"] == str(root)
    assert seen["env"]["GS_CALL_USAGE_FILE"] == str(root / "usage.json")
    assert reply.usage.input_tokens == counter_for("gpt-5").count(seen["prompt"])  # estimated, not the stale 1


def test_a_usage_file_that_is_not_a_usage_object_is_named(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'open(os.environ["GS_CALL_USAGE_FILE"], "w").write("[1, 2]")\nprint("answer")\n')
    with pytest.raises(ProviderError, match=r"usage file .*usage\.json holds no usage object"):
        _provider(prog).complete(_request(), Effort.HIGH)


def test_without_a_shell_shell_syntax_is_refused_before_anything_runs(tmp_path: Path) -> None:
    prog = _program(tmp_path, RECORD + 'print("ok")\n')
    marker = tmp_path / "marker"
    for command in (f"{prog} ; touch {marker}", f"{prog} $(touch {marker})", f"{prog} | tee {marker}"):
        with pytest.raises(UsageError, match=r"uses shell syntax .* providers\.command\.shell is false"):
            _provider(command)
    assert not marker.exists()


def test_without_a_shell_quoted_characters_reach_the_program_as_written(tmp_path: Path) -> None:
    prog = _program(tmp_path, RECORD + 'print("ok")\n')
    marker = tmp_path / "marker"
    _provider(f"{prog} 'a;b' '$(touch {marker})'", extra_args=("--json",)).complete(_request(), Effort.HIGH)

    assert _seen(tmp_path)["argv"] == ["a;b", f"$(touch {marker})", "--json"]
    assert not marker.exists()


def test_with_shell_true_the_shell_reads_the_command(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print("quiet " + sys.argv[1])\n')
    reply = _provider(f"{prog} $(echo expanded) | tr a-z A-Z", shell=True).complete(_request(), Effort.HIGH)

    assert reply.text == "QUIET EXPANDED"


def test_a_non_zero_exit_quotes_the_last_line_of_stderr(tmp_path: Path) -> None:
    prog = _program(
        tmp_path, 'print("partial")\nprint("warming up\\nerror: quota exceeded", file=sys.stderr)\nsys.exit(3)\n'
    )
    with pytest.raises(ProviderError) as caught:
        _provider(prog).complete(_request(), Effort.HIGH)

    assert caught.value.status == "error"
    assert caught.value.message.endswith("exited with code 3: error: quota exceeded")


def test_a_hang_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'import time\nprint("thinking", flush=True)\ntime.sleep(60)\n')
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"did not finish within 1s \(providers\.command\.deadline\)") as caught:
        _provider(prog, deadline=1.0).complete(_request(), Effort.HIGH)

    assert caught.value.status == "timeout"
    assert time.monotonic() - started < 10


def test_an_empty_reply_is_a_failure(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print(json.dumps({"input_tokens": 5, "output_tokens": 0}))\n')
    with pytest.raises(ProviderError, match="printed no reply on stdout") as caught:
        _provider(prog).complete(_request(), Effort.HIGH)
    assert caught.value.usage.input_tokens == 5  # still accounted for


def test_a_missing_command_or_program_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"set providers\.command\.command"):
        CommandProvider(ProviderSettings(), {})
    with pytest.raises(UsageError, match=r"program not found on PATH.*providers\.command\.command"):
        _provider(tmp_path / "no-such-llm").complete(_request(), Effort.HIGH)


def test_the_output_is_kept_with_the_run(tmp_path: Path) -> None:
    prog = _program(tmp_path, 'print("answer")\nprint(json.dumps({"input_tokens": 3, "output_tokens": 1}))\n')
    logs = tmp_path / "run-logs"
    _provider(prog).complete(_request(workspace=Workspace(tmp_path, log_dir=logs)), Effort.HIGH)

    [log] = logs.iterdir()
    assert log.name.endswith("-command-001.txt")
    assert log.read_text(encoding="utf-8") == 'answer\n{"input_tokens": 3, "output_tokens": 1}\n'


STRUCTURED = """
prompt = sys.stdin.read()
schema = json.load(open(os.environ["GS_CALL_SCHEMA"]))
assert "# Answer format" in prompt and '"greeting"' in prompt, prompt
assert schema["required"] == ["greeting"], schema
print("```json")
print(json.dumps({"greeting": "hello"}))
print("```")
print(json.dumps({"input_tokens": 700, "output_tokens": 20, "cost_usd": 0.002}))
"""


def test_a_structured_call_through_the_gateway_is_parsed_and_recorded(tmp_path: Path) -> None:
    prog = _program(tmp_path, STRUCTURED)
    with Ledger(tmp_path / "ledger.db") as ledger:
        parsed = Gateway(ledger).call_structured(
            _provider(prog), _request(schema=GREETING_SCHEMA), CallSite("plan"), parse=lambda value: value
        )
        [call] = ledger.calls()

    assert parsed == {"greeting": "hello"}
    assert (call["provider"], call["phase"], call["status"], call["effort_sent"]) == ("command", "plan", "ok", "high")
    assert (call["input_tokens"], call["output_tokens"], call["cost_usd"], call["cost_source"]) == (
        700,
        20,
        0.002,
        "native",
    )


def test_gearshift_ask_runs_the_command_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    prog = _program(tmp_path, RECORD + 'print("the answer is 42")\n')
    monkeypatch.setenv("GEARSHIFT_PROVIDERS__COMMAND__COMMAND", f"{prog} --quiet")

    result = cli("ask", "what is the answer?", "--provider", "command", "--effort", "xhigh")

    assert (result.exit_code, result.stdout) == (0, "the answer is 42\n"), result.stderr
    assert _seen(tmp_path)["argv"] == ["--quiet"]
    with Ledger(Path(os.environ["GEARSHIFT_HOME"]) / "ledger.db") as ledger:
        [call] = ledger.calls()
    assert (call["provider"], call["model"], call["effort_requested"], call["effort_sent"], call["status"]) == (
        "command",
        "default",
        "xhigh",
        "xhigh",
        "ok",
    )
    assert call["output_tokens"] == counter_for("gpt-5").count("the answer is 42")
