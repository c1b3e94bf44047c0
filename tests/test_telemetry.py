"""OpenTelemetry traces: a run, its phases, its steps and its model calls as spans, through the public API.

The SDK's in-memory exporter sees what a library user's own TracerProvider would; one run goes over
OTLP/HTTP to a collector played by a loopback server; with nothing configured, OpenTelemetry is not imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, make_repo

import gearshift
from gearshift import telemetry
from gearshift.telemetry import config
from gearshift.testing import FunctionProvider

TESTS = Path(__file__).parent
MODEL = "gpt-5.4"  # every phase's model under the default settings
USAGE = gearshift.Usage(input_tokens=1000, cached_tokens=200, output_tokens=300, reasoning_tokens=100)
PRICED = {"pricing": {MODEL: {"input": 1.0, "output": 4.0}}}  # so that each call has a cost
TEXT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
CALL_KEYS = {
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.request.reasoning.level",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gearshift.cost_usd",
    "gearshift.run_id",
    "gearshift.phase",
}


@pytest.fixture(autouse=True)
def no_tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OTEL_* variable from the machine running the tests, and no tracing left over for the next test."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    telemetry.shutdown()
    yield
    telemetry.shutdown()


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """What a library user's own TracerProvider would export, handed to gearshift with telemetry.use."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use(provider)
    yield exporter
    provider.shutdown()


def priced_model() -> tuple[ScriptedModel, FunctionProvider]:
    model = ScriptedModel()
    provider = model.provider()
    provider.usage = USAGE
    return model, provider


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = named(spans, name)
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def parent_of(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next(s for s in spans if s.context is not None and s.context.span_id == span.parent.span_id)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


# --- a whole run ---------------------------------------------------------------------------------------


def test_a_whole_run_makes_run_phase_step_and_call_spans_properly_parented(
    tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    repo = make_repo(tmp_path / "repo")
    model, provider = priced_model()
    settings = gearshift.Settings.model_validate(PRICED)
    with gearshift.Workflow.open(repo, settings=settings, providers=provider) as workflow:
        result = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD))
    assert result.status == gearshift.RunStatus.DONE
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    spans = exporter.get_finished_spans()

    # one run span, however many public methods nested (run -> plan -> implement -> review)
    run = one(spans, telemetry.RUN_SPAN)
    assert run.parent is None
    assert attrs(run) == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "gearshift",
        "gen_ai.agent.name": "gearshift",
        "gearshift.operation": "run",
        "gearshift.run_id": result.run_id,
        "gearshift.strategy": result.strategy,
    }
    assert len({span.context.trace_id for span in spans if span.context}) == 1

    phases = {name: one(spans, f"gearshift.phase {name}") for name in ("route", "plan", "implement", "review")}
    for name, span in phases.items():
        assert parent_of(span, spans) is run
        assert attrs(span)["gearshift.phase"] == name
        assert attrs(span)["gearshift.strategy"] == attrs(run)["gearshift.strategy"]
        assert attrs(span)["gearshift.run_id"] == result.run_id
    assert attrs(phases["plan"])["gearshift.effort"] == "high"

    steps = {n: one(spans, f"gearshift.step {n}") for n in (1, 2, 3)}
    for n, span in steps.items():
        assert parent_of(span, spans) is phases["implement"]
        assert attrs(span)["gearshift.step"] == n and attrs(span)["gearshift.phase"] == "implement"
        assert "gearshift.strategy" in attrs(span)

    calls = named(spans, f"chat {MODEL}")
    assert len(calls) == 6
    where = [(attrs(c)["gearshift.phase"], attrs(c).get("gearshift.step"), parent_of(c, spans)) for c in calls]
    assert where == [
        ("plan", None, phases["plan"]),
        ("implement", 1, steps[1]),
        ("fix", 1, steps[1]),  # a fix is part of its step
        ("implement", 2, steps[2]),
        ("implement", 3, steps[3]),
        ("review", None, phases["review"]),
    ]
    plan_call = attrs(calls[0])
    assert set(plan_call) >= CALL_KEYS
    assert plan_call["gen_ai.operation.name"] == "chat"
    assert plan_call["gen_ai.provider.name"] == "function"  # the FunctionProvider's name
    assert plan_call["gen_ai.request.model"] == plan_call["gen_ai.response.model"] == MODEL
    assert plan_call["gen_ai.request.reasoning.level"] == "high"
    assert [attrs(c)["gen_ai.request.reasoning.level"] for c in calls[1:5]] == ["medium"] * 4
    assert (plan_call["gen_ai.usage.input_tokens"], plan_call["gen_ai.usage.output_tokens"]) == (1000, 300)
    assert plan_call["gen_ai.usage.cache_read.input_tokens"] == 200
    assert plan_call["gen_ai.usage.reasoning.output_tokens"] == 100
    assert plan_call["gearshift.cost_usd"] == pytest.approx((800 * 1.0 + 200 * 1.0 + 300 * 4.0) / 1e6)
    assert plan_call["gearshift.run_id"] == result.run_id
    # timed as the call was, from the ledger row: inside its parent, after the one before
    for call in calls:
        parent = parent_of(call, spans)
        assert parent is not None and call.start_time is not None and call.end_time is not None
        assert parent.start_time is not None and parent.end_time is not None
        assert parent.start_time <= call.start_time + 1_000_000 and call.end_time <= parent.end_time + 1_000_000
        assert call.status.status_code != StatusCode.ERROR
    # no prompt or reply text unless asked for
    assert not [key for span in spans for key in attrs(span) if key in TEXT_KEYS]


def test_the_text_goes_in_only_when_the_user_opts_in(tmp_path: Path, exporter: InMemorySpanExporter) -> None:
    repo = make_repo(tmp_path / "repo")
    settings = gearshift.Settings.model_validate({"telemetry": {"include_text": True}})
    with gearshift.Workflow.open(repo, settings=settings, providers=ScriptedModel().provider()) as workflow:
        workflow.plan(TASK)
    spans = exporter.get_finished_spans()
    run = one(spans, telemetry.RUN_SPAN)  # plan() alone is a run span of its own, route and plan inside it
    assert attrs(run)["gearshift.operation"] == "plan"
    call = attrs(one(spans, f"chat {MODEL}"))
    sent = json.loads(call["gen_ai.input.messages"])
    assert sent[0]["role"] == "user" and TASK in sent[0]["parts"][0]["content"]
    assert json.loads(call["gen_ai.system_instructions"])[0]["type"] == "text"
    answer = json.loads(call["gen_ai.output.messages"])
    assert answer[0]["role"] == "assistant" and answer[0]["finish_reason"] == "stop"
    assert json.loads(answer[0]["parts"][0]["content"])["steps"]  # the plan, as the model sent it


def test_a_repository_cannot_opt_in_to_text_or_choose_the_endpoint(
    tmp_path: Path, exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "gearshift.toml").write_text('[telemetry]\ninclude_text = true\nendpoint = "http://collector.invalid"\n')
    with gearshift.Workflow.open(repo, providers=ScriptedModel().provider()) as workflow:
        workflow.plan(TASK)
        assert config.endpoint(workflow.settings) is None
    assert not [key for key in attrs(one(exporter.get_finished_spans(), f"chat {MODEL}")) if key in TEXT_KEYS]
    ignored = [r.getMessage() for r in caplog.records if r.name == "gearshift.telemetry"]
    assert any("ignoring telemetry.include_text" in line and "gearshift.toml" in line for line in ignored)


def test_a_failed_call_and_its_phase_have_error_status(tmp_path: Path, exporter: InMemorySpanExporter) -> None:
    def down(request: gearshift.Request) -> str:
        raise gearshift.ProviderError("the model is down", status="error", request_id="req-1")

    repo = make_repo(tmp_path / "repo")
    with (
        gearshift.Workflow.open(repo, providers=FunctionProvider(down)) as workflow,
        pytest.raises(gearshift.ProviderError),
    ):
        workflow.plan(TASK)
    spans = exporter.get_finished_spans()
    call = one(spans, f"chat {MODEL}")
    assert call.status.status_code == StatusCode.ERROR
    assert call.status.description == "the model is down"
    assert attrs(call)["error.type"] == "error" and "gen_ai.response.model" not in attrs(call)
    assert one(spans, "gearshift.phase plan").status.status_code == StatusCode.ERROR
    assert one(spans, telemetry.RUN_SPAN).status.status_code == StatusCode.ERROR


def test_resume_is_one_run_span_of_its_own(tmp_path: Path, exporter: InMemorySpanExporter) -> None:
    repo = make_repo(tmp_path / "repo")
    with gearshift.Workflow.open(repo, providers=ScriptedModel().provider()) as workflow:
        with pytest.raises(gearshift.BudgetReached):
            workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD, max_tokens=1500))
        run_id = workflow.runs.resolve(None)
        exporter.clear()
        workflow.resume(run_id, max_tokens=1_000_000)
    spans = exporter.get_finished_spans()
    run = one(spans, telemetry.RUN_SPAN)
    assert attrs(run)["gearshift.operation"] == "resume" and attrs(run)["gearshift.run_id"] == run_id
    for name in ("implement", "review"):
        assert parent_of(one(spans, f"gearshift.phase {name}"), spans) is run


def test_a_gateway_gets_one_observer_however_often_it_is_attached(
    tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    repo = make_repo(tmp_path / "repo")
    with gearshift.Workflow.open(repo, providers=ScriptedModel().provider()) as workflow:
        telemetry.attach(workflow.gateway, workflow.settings)
        assert len(workflow.gateway.observers) == 1


# --- OTLP/HTTP to a collector ---------------------------------------------------------------------------


class Collector:
    """An OTLP/HTTP traces endpoint on loopback: it keeps each request it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, ExportTraceServiceRequest]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                decoded = ExportTraceServiceRequest()
                decoded.ParseFromString(body)
                collector.requests.append((self.path, self.headers["Content-Type"], decoded))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def spans(self) -> dict[str, list[dict[str, Any]]]:
        """Each span's attributes by span name, and the resource's under ``resource``."""
        found: dict[str, list[dict[str, Any]]] = {}
        for _, _, request in self.requests:
            for resource_spans in request.resource_spans:
                found.setdefault("resource", []).append(_values(resource_spans.resource.attributes))
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        found.setdefault(span.name, []).append(_values(span.attributes))
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _values(attributes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for kv in attributes:
        kind = kv.value.WhichOneof("value")
        values[kv.key] = getattr(kv.value, kind) if kind else None
    return values


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # loopback only, never through a proxy
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = Collector()
    yield server
    server.stop()


@pytest.mark.parametrize("configured_by", ["OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.endpoint"])
def test_a_run_is_sent_over_otlp_http_to_the_collector(
    tmp_path: Path, collector: Collector, monkeypatch: pytest.MonkeyPatch, configured_by: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    data: dict[str, Any] = dict(PRICED)
    if configured_by == "OTEL_EXPORTER_OTLP_ENDPOINT":
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    else:
        data["telemetry"] = {"endpoint": collector.url}
    _, provider = priced_model()
    settings = gearshift.Settings.model_validate(data)
    with gearshift.Workflow.open(repo, settings=settings, providers=provider) as workflow:
        result = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD))
    telemetry.shutdown()  # flushes the batch now, rather than at the end of the process

    assert {(path, kind) for path, kind, _ in collector.requests} == {("/v1/traces", "application/x-protobuf")}
    received = collector.spans()
    assert received["resource"][0]["service.name"] == "gearshift"
    assert received[telemetry.RUN_SPAN] == [
        {
            "gen_ai.operation.name": "invoke_workflow",
            "gen_ai.workflow.name": "gearshift",
            "gen_ai.agent.name": "gearshift",
            "gearshift.operation": "run",
            "gearshift.run_id": result.run_id,
            "gearshift.strategy": result.strategy,
        }
    ]
    assert {f"gearshift.phase {p}" for p in ("route", "plan", "implement", "review")} <= set(received)
    assert received["gearshift.step 2"][0]["gearshift.step"] == 2
    calls = received[f"chat {MODEL}"]
    assert len(calls) == 6 and set(calls[0]) >= CALL_KEYS
    assert calls[0]["gen_ai.usage.cache_read.input_tokens"] == 200
    assert calls[0]["gearshift.cost_usd"] == pytest.approx(0.0022)


# --- switched off, configured, missing ----------------------------------------------------------------------


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GEARSHIFT_"))}
    clean.update(GEARSHIFT_HOME=str(tmp_path / "home"), **env)
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "repo")],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )


A_PLAN = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
from scripted_model import ScriptedModel
from workflow_helpers import TASK, make_repo
import gearshift

repo = make_repo(Path(sys.argv[1]))
for _ in range(2):
    with gearshift.Workflow.open(repo, providers=ScriptedModel().provider()) as workflow:
        workflow.plan(TASK)
print(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"))
"""

WITHOUT_OTEL = """
import importlib.abc, sys

class NoOpenTelemetry(importlib.abc.MetaPathFinder):  # as if gearshift[otel] were not installed
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoOpenTelemetry())
"""


def test_with_nothing_configured_opentelemetry_is_never_imported(tmp_path: Path) -> None:
    assert _python(A_PLAN, tmp_path).stdout.strip() == "[]"
    help_code = "import runpy, sys\nsys.argv = ['gearshift', '--help']\n" + (
        "try:\n    runpy.run_module('gearshift', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry'), file=sys.stderr)"
    )
    assert _python(help_code, tmp_path).stderr.strip().splitlines()[-1] == "[]"


def test_without_the_extra_one_line_says_how_to_install_it_and_the_run_goes_on(tmp_path: Path) -> None:
    done = _python(WITHOUT_OTEL + A_PLAN, tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert done.stdout.strip() == "[]"  # planned twice, without traces
    said = [line for line in done.stderr.splitlines() if "gearshift[otel]" in line]
    assert len(said) == 1, done.stderr
    assert said[0].startswith("gearshift: OTEL_EXPORTER_OTLP_ENDPOINT asks for OpenTelemetry traces")
    assert "pip install 'gearshift[otel]'" in said[0] and "going on without traces" in said[0]


def test_telemetry_appears_in_config_show(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEARSHIFT_TELEMETRY__ENABLED", "true")
    rows = {row["key"]: row for row in json.loads(cli("config", "show", "--json").stdout)}
    assert rows["telemetry.include_text"]["value"] is False
    assert rows["telemetry.enabled"] == {
        "key": "telemetry.enabled",
        "value": True,
        "source": "env GEARSHIFT_TELEMETRY__ENABLED",
    }


# --- when traces are on ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("telemetry_table", "environ", "wanted"),
    [
        ({}, {}, None),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c/v1/traces"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        ({}, {"OTEL_EXPORTER_OTLP_HEADERS": "x-key=1"}, None),  # a header names no collector
        ({"enabled": True}, {}, "telemetry.enabled"),
        ({"endpoint": "http://localhost:4318"}, {}, "telemetry.endpoint"),
        ({"enabled": False}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, None),
        ({"enabled": True}, {"OTEL_SDK_DISABLED": "true"}, None),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_TRACES_EXPORTER": "none"}, None),
    ],
)
def test_what_turns_traces_on_and_off(
    telemetry_table: dict[str, Any], environ: dict[str, str], wanted: str | None
) -> None:
    settings = gearshift.Settings.model_validate({"telemetry": telemetry_table})
    assert config.wanted(settings, environ) == wanted


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("http://localhost:4318", "http://localhost:4318/v1/traces"),
        ("http://localhost:4318/", "http://localhost:4318/v1/traces"),
        ("https://otel.example.com/v1/traces", "https://otel.example.com/v1/traces"),
        (None, None),  # the exporter reads the OTEL_EXPORTER_OTLP_* variables itself
    ],
)
def test_the_endpoint_setting_is_the_collectors_base_url(given: str | None, url: str | None) -> None:
    settings = gearshift.Settings.model_validate({"telemetry": {"endpoint": given}})
    assert config.endpoint(settings) == url
