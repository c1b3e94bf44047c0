"""What every provider tells the gateway and the context code: billing and the model's window."""

from __future__ import annotations

from pathlib import Path

from gearshift.context.budget import map_budget
from gearshift.models import Billing, make_provider
from gearshift.models.transcript import RecordingProvider
from gearshift.settings import Settings
from gearshift.testing import FunctionProvider

KEYS = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}


class WindowedProvider(FunctionProvider):
    def __init__(self, window: int) -> None:
        super().__init__(lambda req: "")
        self.window = window

    def context_window(self, model: str) -> int | None:
        return self.window


def test_the_vendors_price_their_calls_and_know_their_windows() -> None:
    openai = make_provider("openai", Settings(), environ=KEYS)
    anthropic = make_provider("anthropic", Settings(), environ=KEYS)

    assert (openai.billing, openai.context_window("gpt-5.4")) == (Billing(provider_id="openai"), 1_050_000)
    assert (anthropic.billing, anthropic.context_window("claude-opus-4-5")) == (
        Billing(provider_id="anthropic"),
        200_000,
    )
    assert openai.context_window("claude-opus-4-5") is None  # not on OpenAI's price list


def test_another_server_is_billed_by_its_url_and_its_models_found_by_name() -> None:
    url = "http://localhost:11434/v1"
    chat = make_provider("openai-chat", Settings.model_validate({"providers": {"openai-chat": {"base_url": url}}}))

    assert chat.billing == Billing(api_url=url)
    assert chat.context_window("gpt-5.2") == 400_000
    assert chat.context_window("qwen3") is None


def test_recording_forwards_and_replay_knows_neither(tmp_path: Path) -> None:
    recorded = make_provider("openai", Settings(), environ=KEYS, record_to=tmp_path / "t.jsonl")
    transcript = tmp_path / "t.jsonl"
    transcript.write_text("")
    replaying = Settings.model_validate({"providers": {"replay": {"transcript": str(transcript)}}})
    replay = make_provider("replay", replaying)

    assert isinstance(recorded, RecordingProvider)
    assert (recorded.billing, recorded.context_window("gpt-5.2")) == (Billing(provider_id="openai"), 400_000)
    assert (replay.billing, replay.context_window("gpt-5.4")) == (None, None)


def test_the_map_budget_asks_the_provider_then_the_price_table() -> None:
    settings = Settings()  # plans with gpt-5.4: a 1.05M window in the table

    assert map_budget(settings, WindowedProvider(320_000)) == 10_000
    assert map_budget(settings, FunctionProvider(lambda req: "")) == 16_384  # it does not know: the table does
    assert map_budget(settings) == 16_384
    assert map_budget(Settings.model_validate({"context": {"map_tokens": 3000}}), WindowedProvider(320_000)) == 3000
