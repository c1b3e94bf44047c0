"""Each call's text in the ledger: kept as sent (masked), shown by `calls ID --show`, replayed offline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from fakeapi import FakeAPI, responses_reply
from helpers import GREETING_SCHEMA, request
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, workflow

import gearshift.ledger_schema as ledger_module
from gearshift.errors import ProviderError, ReplyFormatError, UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.ledger_schema import MIGRATIONS
from gearshift.models import make_provider
from gearshift.models.base import ToolCall, ToolResult, ToolSpec, Turn
from gearshift.models.transcript import reply_record, request_record
from gearshift.settings import Settings, load_settings
from gearshift.testing import FunctionProvider
from gearshift.workflow import RunOptions, Workflow

KEY = "sk-proj-Zx8Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz1Xc3Vb5Nm7Qa9Ws1Ed3Rf5Tg7Yh9Uj1Ik3Ol5P-_q7R"


def _kept(ledger: Ledger) -> list[tuple[dict[str, object] | None, dict[str, object] | None]]:
    return [(c["request"], c["reply"]) for c in (ledger.get_call(r["id"]) for r in reversed(ledger.calls())) if c]


# --- what is kept ---------------------------------------------------------------------------------


def test_the_request_is_kept_as_sent_masked_with_its_reply(tmp_path: Path) -> None:
    model = FunctionProvider(lambda r: "noted")
    gateway = Gateway(Ledger(tmp_path / "l.db"))
    reply = gateway.call(model, request(f"deploy with OPENAI_API_KEY={KEY} please"), CallSite("ask", run_id="r1"))

    [(kept_request, kept_reply)] = _kept(gateway.ledger)
    sent = model.requests[0]  # what the provider got: already masked
    assert KEY not in sent.input and "[secret masked: OpenAI Token]" in sent.input
    assert kept_request == request_record("function", sent)  # the transcript's record format, exactly
    assert kept_request is not None and kept_request["secrets_masked"] == 1
    assert kept_reply == reply_record(reply)
    # the secret is nowhere in the file, text columns included
    assert KEY.encode() not in (tmp_path / "l.db").read_bytes()
    assert [(c.run_id, c.status) for c in gateway.ledger.call_records("r1")] == [("r1", "ok")]


def test_tool_rounds_are_kept_with_what_they_read_masked(tmp_path: Path) -> None:
    asked = ToolCall(id="c1", name="read_file", arguments={"path": "settings.py"})
    turn = Turn(calls=(asked,), results=(ToolResult("c1", f"API_KEY = '{KEY}'\n"),), text="let me look")
    tools = (ToolSpec("read_file", "read a file", {"type": "object"}),)
    model = FunctionProvider(lambda r: [ToolCall(id="c2", name="read_file", arguments={"path": "b.py"})])
    gateway = Gateway(Ledger(tmp_path / "l.db"))
    gateway.call(model, request("plan it", tools=tools, turns=(turn,)), CallSite("plan"))

    [(kept_request, kept_reply)] = _kept(gateway.ledger)
    assert kept_request is not None and kept_reply is not None
    kept_turn: dict[str, Any] = kept_request["turns"][0]  # type: ignore[index]
    assert kept_turn["calls"] == [{"id": "c1", "name": "read_file", "arguments": {"path": "settings.py"}}]
    assert "[secret masked" in kept_turn["results"][0]["content"] and KEY not in json.dumps(kept_request)
    assert kept_reply["tool_calls"] == [{"id": "c2", "name": "read_file", "arguments": {"path": "b.py"}}]


def test_keep_text_off_keeps_no_text(tmp_path: Path) -> None:
    gateway = Gateway(Ledger(tmp_path / "l.db"), keep_text=False)
    gateway.call(FunctionProvider(lambda r: "secret plans"), request("my private prompt"), CallSite("ask"))
    assert _kept(gateway.ledger) == [(None, None)]
    assert gateway.ledger.call_records() == []
    data = (tmp_path / "l.db").read_bytes() + (tmp_path / "l.db-wal").read_bytes()
    assert b"my private prompt" not in data and b"secret plans" not in data
    assert gateway.ledger.calls()[0]["status"] == "ok"  # the call itself is still counted


def test_a_failed_call_keeps_its_request_and_a_misfit_reply_keeps_the_reply(tmp_path: Path) -> None:
    def refuse(r: object) -> str:
        raise ProviderError("the server said no", status="http_500")

    gateway = Gateway(Ledger(tmp_path / "l.db"))
    with pytest.raises(ProviderError):
        gateway.call(FunctionProvider(refuse), request("first"), CallSite("ask"))
    with pytest.raises(ReplyFormatError):  # a reply came back, but not in its schema's shape
        gateway.call(FunctionProvider(lambda r: "not json"), request("second", schema=GREETING_SCHEMA), CallSite("ask"))

    (failed_request, failed_reply), (misfit_request, misfit_reply) = _kept(gateway.ledger)
    assert failed_request is not None and failed_request["input"] == "first" and failed_reply is None
    assert misfit_request is not None and misfit_request["schema"] == "greeting"
    assert misfit_reply is not None and misfit_reply["text"] == "not json"
    assert [c.status for c in gateway.ledger.call_records()] == ["http_500", "malformed"]


def test_the_setting_defaults_on_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ledger.keep_text is True
    monkeypatch.setenv("GEARSHIFT_LEDGER__KEEP_TEXT", "false")
    loaded = load_settings()
    assert loaded.settings.ledger.keep_text is False
    assert loaded.source_of("ledger.keep_text") == "env GEARSHIFT_LEDGER__KEEP_TEXT"


def test_an_older_ledger_gains_the_columns_and_its_calls_have_no_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    monkeypatch.setattr(ledger_module, "MIGRATIONS", [m for m in MIGRATIONS if m[0] != "0004_call_text"])
    with Ledger(path) as old:
        assert "request_json" not in old.schema()["calls"]
        old._db.execute(
            "INSERT INTO calls (phase, provider, model, status, created_at) VALUES ('ask', 'openai', 'm', 'ok', 'now')"
        )
        with Ledger(path, read_only=True) as read_only:
            assert read_only.call_records() == []  # no columns yet: nothing kept, no error
    monkeypatch.undo()
    with Ledger(path) as ledger:
        assert "0004_call_text" in ledger.applied_migrations()
        call = ledger.get_call(1)
        assert call is not None and (call["request"], call["reply"]) == (None, None)


# --- gearshift calls ID --show ------------------------------------------------------------------


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def test_calls_id_show_prints_the_request_and_the_reply(cli, fake_api: FakeAPI, key: None) -> None:  # type: ignore[no-untyped-def]
    fake_api.push(responses_reply("Use a lock.\nOr a queue.", input_tokens=40, output_tokens=20))
    asked = cli(
        "ask", f"How do I avoid a race? key={KEY}", "--instructions", "Be [bold]terse[/bold].",
        "--base-url", fake_api.url, "-e", "high",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.stderr
    [row] = json.loads(cli("calls", "--json").stdout)

    shown = cli("calls", str(row["id"]), "--show")

    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert out.startswith(f"call {row['id']} · ask · openai {row['model']} @ high · ok\n")
    assert "40 in (0 cached) · 20 out (0 reasoning)" in out
    assert "1 secret value masked" in out
    assert "── instructions" in out and "Be [bold]terse[/bold]." in out  # shown as it is, never as markup
    assert "How do I avoid a race? key=[secret masked: OpenAI Token]" in out and KEY not in out
    assert f"── reply ({row['model']} @ high)" in out and "Use a lock.\nOr a queue.\n" in out
    assert out.index("── input") < out.index("── reply")

    as_json = json.loads(cli("calls", str(row["id"]), "--show", "--json").stdout)
    assert {k: v for k, v in as_json.items() if k not in ("request", "reply")} == row
    assert as_json["request"]["instructions"] == "Be [bold]terse[/bold]."
    assert as_json["reply"]["text"] == "Use a lock.\nOr a queue."

    # ID alone: the one row, as the list shows it; --json keeps the list's contract
    assert json.loads(cli("calls", str(row["id"]), "--json").stdout) == [row]
    assert "Recorded calls" in cli("calls", str(row["id"])).stdout
    # and the listing is as it was
    assert list(json.loads(cli("calls", "--json", "-n", "1").stdout)[0]) == list(row)


def test_calls_show_says_when_the_text_was_not_kept_and_refuses_misuse(  # type: ignore[no-untyped-def]
    cli, fake_api: FakeAPI, key: None, hermetic: Path
) -> None:
    (hermetic / "gearshift.toml").write_text("[ledger]\nkeep_text = false\n")
    fake_api.push(responses_reply("private answer"))
    assert cli("ask", "private question", "--base-url", fake_api.url).exit_code == 0

    shown = cli("calls", "1", "--show")
    assert shown.exit_code == 0
    assert "the text of this call was not kept: ledger.keep_text was false" in shown.stdout
    assert "private" not in shown.stdout
    assert json.loads(cli("calls", "1", "--show", "--json").stdout)["request"] is None

    for args, message in [
        (("calls", "--show"), "--show needs a call id"),
        (("calls", "99", "--show"), "no call 99 in the ledger"),
    ]:
        refused = cli(*args)
        assert refused.exit_code == 2, args
        assert refused.stderr.startswith(f"gearshift: {message}") and refused.stderr.count("\n") == 1


def test_calls_show_of_a_failed_call_says_no_reply_came(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    def refuse(r: object) -> str:
        raise ProviderError("timed out after 600s", status="timeout")

    db = tmp_path / "l.db"
    with pytest.raises(ProviderError):
        Gateway(Ledger(db)).call(FunctionProvider(refuse), request("slow one"), CallSite("plan", run_id="r9"))
    out = cli("--db", str(db), "calls", "1", "--show").stdout
    assert "call 1 · run r9 · plan · function gpt-5.4 @ medium · timeout: timed out after 600s" in out
    assert "slow one" in out and "(none: the call failed before a reply came back)" in out


# --- replay from the ledger ---------------------------------------------------------------------


def _replaying(repo: Path, transcript: str, **extra: object) -> Workflow:
    ledger = Ledger(repo / ".gearshift" / "ledger.db")
    settings = Settings.model_validate(
        {"provider": "replay", "providers": {"replay": {"transcript": transcript}}, **extra}
    )
    return Workflow(repo, settings, ledger, Gateway(ledger))


def _recorded_run(tmp_path: Path) -> tuple[Path, str, ScriptedModel]:
    """A whole run made with the scripted model as a FunctionProvider; its ledger kept the text.
    The checkout then moves aside, and a fresh one from the same base takes its place: a check's
    output names the checkout's paths, so a replay asks the same only in the same place."""
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD)).run_id
    assert wf.get_run(run_id).status == "done"
    wf.ledger.close()
    recorded = repo.rename(tmp_path / "recorded")
    make_repo(tmp_path / "repo")
    return recorded / ".gearshift" / "ledger.db", run_id, model


def _same_run(recorded_repo: Path, recorded: str, replayed_repo: Path, replayed: str) -> None:
    """The replayed run made the same plan, review, commits and files as the recorded one."""
    for name in ("plan.json", "review.json"):
        assert (replayed_repo / ".gearshift" / "runs" / replayed / name).read_text() == (
            recorded_repo / ".gearshift" / "runs" / recorded / name
        ).read_text()
    log = ["log", "--format=%s%n%b", "main..HEAD"]
    assert git(replayed_repo, *log).replace(replayed, "RUN") == git(recorded_repo, *log).replace(recorded, "RUN")
    assert len(git(replayed_repo, "log", "--format=%H", "main..HEAD").split()) == 3
    for name in ("calc.py", "README.md"):
        assert (replayed_repo / name).read_text() == (recorded_repo / name).read_text()


def test_a_whole_run_replays_from_its_ledger_offline(tmp_path: Path) -> None:
    db, run_id, model = _recorded_run(tmp_path)
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    repo = tmp_path / "repo"  # the same base, a fresh checkout; no model, no network

    wf = _replaying(repo, f"{db}#{run_id[-6:]}")  # any unique part of the run's id
    replayed = wf.run(TASK, RunOptions(test_cmd=TEST_CMD)).run_id

    assert wf.get_run(replayed).status == "done"
    _same_run(db.parent.parent, run_id, repo, replayed)
    calls = list(reversed(wf.ledger.calls(run_id=replayed)))
    assert [(c["phase"], c["step"], c["provider"]) for c in calls] == [
        ("plan", None, "replay"),
        ("implement", 1, "replay"),
        ("fix", 1, "replay"),
        ("implement", 2, "replay"),
        ("implement", 3, "replay"),
        ("review", None, "replay"),
    ]
    with Ledger(db, read_only=True) as original:
        originals = original.call_records(run_id)
    assert [c.request for c in wf.ledger.call_records(replayed)] == [
        {**c.request, "provider": "replay"} for c in originals
    ]


def test_a_run_replays_across_processes_from_the_whole_ledger(tmp_path: Path) -> None:
    db, run_id, _ = _recorded_run(tmp_path)
    repo = tmp_path / "repo"
    first = _replaying(repo, str(db))  # every run of the ledger; here there is one
    replayed = first.plan(TASK, RunOptions(test_cmd=TEST_CMD))
    first.ledger.close()

    later = _replaying(repo, str(db))  # as `gearshift implement` would, in a new process
    later.implement(replayed)
    later.review(replayed)

    assert later.get_run(replayed).status == "done"
    _same_run(db.parent.parent, run_id, repo, replayed)


def test_a_diverging_replay_names_the_recorded_call_and_its_run(tmp_path: Path) -> None:
    db, run_id, _ = _recorded_run(tmp_path)
    first_call = min(r["id"] for r in Ledger(db, read_only=True).calls(run_id=run_id))
    replay = make_provider("replay", Settings.model_validate({"providers": {"replay": {"transcript": str(db)}}}))
    gateway = Gateway(Ledger(tmp_path / "play.db"))
    with pytest.raises(ProviderError) as caught:
        gateway.call(replay, request("something else"), CallSite("ask"))
    assert f"call 1 diverges from {db} call {first_call} of run {run_id} in instructions" in caught.value.message


def test_a_ledger_is_known_by_its_header_and_a_bad_one_is_one_line(tmp_path: Path) -> None:
    def replay(transcript: Path | str) -> object:
        settings = Settings.model_validate({"providers": {"replay": {"transcript": str(transcript)}}})
        return make_provider("replay", settings)

    gateway = Gateway(Ledger(tmp_path / "l.db"))
    gateway.call(FunctionProvider(lambda r: "hello"), request("hi"), CallSite("ask"))
    gateway.ledger.close()
    copy = tmp_path / "recording.bin"  # no .db: an SQLite file all the same
    copy.write_bytes((tmp_path / "l.db").read_bytes())
    (tmp_path / "l.db-wal").exists() and copy.with_name("recording.bin-wal").write_bytes(
        (tmp_path / "l.db-wal").read_bytes()
    )
    played = Gateway(Ledger(tmp_path / "play.db")).call(replay(copy), request("hi"), CallSite("ask"))  # type: ignore[arg-type]
    assert played.text == "hello"

    with pytest.raises(UsageError, match="no single run of the ledger .* matches 'nope'"):
        replay(f"{tmp_path / 'l.db'}#nope")
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).execute("CREATE TABLE other (x)").connection.commit()
    with pytest.raises(UsageError, match="not a gearshift ledger: it has no calls table"):
        replay(blank)
    (tmp_path / "text.db").write_text("not a database at all\n" * 100)
    with pytest.raises(UsageError, match="cannot read .*text.db as a gearshift ledger"):
        replay(tmp_path / "text.db")
    quiet = Gateway(Ledger(tmp_path / "quiet.db"), keep_text=False)
    quiet.call(FunctionProvider(lambda r: "x"), request("hi"), CallSite("ask"))
    with pytest.raises(UsageError, match="holds 1 calls of it but not their text"):
        replay(tmp_path / "quiet.db")
    assert sqlite3.connect(blank).execute("SELECT name FROM sqlite_master").fetchall() == [("other",)]


def test_each_runs_calls_stay_together_when_runs_shared_the_ledger(tmp_path: Path) -> None:
    gateway = Gateway(Ledger(tmp_path / "l.db"))
    model = FunctionProvider(lambda r: f"re {r.input}")
    for run, text in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2"), ("a", "a3")]:
        gateway.call(model, request(text), CallSite("implement", run_id=run))
    records = gateway.ledger.call_records()
    assert [(c.run_id, c.request["input"]) for c in records] == [
        ("a", "a1"),
        ("a", "a2"),
        ("a", "a3"),
        ("b", "b1"),
        ("b", "b2"),
    ]
    assert [c.call_id for c in gateway.ledger.call_records("b")] == [2, 4]


def test_a_suite_replays_from_its_ledger_each_cell_from_its_own_run(tmp_path: Path) -> None:
    from gearshift.evidence.suite import SuiteOptions, plan_suite, run_suite

    repo = make_repo(tmp_path / "repo")
    task = {
        "instance_id": "calc-1",
        "repo": "example/calc",
        "base_commit": git(repo, "rev-parse", "HEAD").strip(),
        "problem_statement": TASK,
        "repo_path": str(repo),
        "accept_cmd": TEST_CMD,
    }
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task) + "\n")
    options = SuiteOptions(strategies=("high", "medium"), test_cmd=TEST_CMD)
    out = tmp_path / "out"
    model = ScriptedModel()
    recorded = run_suite(plan_suite(tasks, out, options, Settings()), out, options, providers=model.provider())
    recorded_out = out.rename(tmp_path / "recorded")  # the cells' checkouts are replayed where they were

    replay = {"provider": "replay", "providers": {"replay": {"transcript": str(recorded_out / "ledger.db")}}}
    replayed = run_suite(plan_suite(tasks, out, options, Settings.model_validate(replay)), out, options)

    def summary(rows: list[dict[str, Any]]) -> list[tuple[object, ...]]:
        return sorted((r["strategy"], r["status"], r["resolved"], r["steps"], r["total_tokens"]) for r in rows)

    assert summary(replayed) == summary(recorded) == [("high", "done", True, 3, ANY), ("medium", "done", True, 3, ANY)]
    assert all(r["scripted"] for r in replayed)

    def efforts(ledger_path: Path) -> dict[str, list[str]]:
        with Ledger(ledger_path, read_only=True) as ledger:
            return {
                str(run["strategy"]): [c["effort_sent"] for c in reversed(ledger.calls(run_id=run["id"]))]
                for run in ledger.runs()
            }

    # each cell played its own strategy's recording: the efforts sent are the recorded ones
    assert efforts(out / "ledger.db") == efforts(recorded_out / "ledger.db")
    assert efforts(out / "ledger.db")["medium"][0] == "medium"
