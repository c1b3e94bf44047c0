"""When traces are on, where they go, and whether prompt text goes with them: the ``[telemetry]`` settings
and the standard ``OTEL_*`` variables, decided without importing OpenTelemetry (off costs nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from gearshift.settings import Settings

# Either turns traces on, as it does for any OpenTelemetry-instrumented program.
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
TRACES_PATH = "/v1/traces"


class TelemetrySettings(BaseModel):
    """OpenTelemetry traces of runs, phases, steps and model calls (needs ``pip install 'gearshift[otel]'``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = Field(
        None,
        description="send traces; unset: when an endpoint is set here or in OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT",
    )
    endpoint: str | None = Field(
        None,
        description="the collector's OTLP/HTTP URL, e.g. http://localhost:4318 (/v1/traces is added);"
        " default: the OTEL_EXPORTER_OTLP_* variables",
    )
    include_text: bool = Field(
        False, description="put each call's request and reply text (masked, as kept in the ledger) in its span"
    )


def wanted(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """What asks for traces (a setting or a variable, for the message when the extra is missing); None when
    nothing does or something says no: ``enabled = false``, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none."""
    own = settings.telemetry
    if own.enabled is False or environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return None
    if own.enabled:
        return "telemetry.enabled"
    if endpoint(settings) is not None:
        return "telemetry.endpoint"
    return next((name for name in ENDPOINT_VARIABLES if environ.get(name, "").strip()), None)


def endpoint(settings: Settings) -> str | None:
    """The traces URL the settings give; None leaves it to the exporter, which reads the OTEL_* variables.
    A repository's own config may not choose it: the exporter sends OTEL_EXPORTER_OTLP_HEADERS (often a
    vendor's API key) there, and with ``include_text`` the prompts too."""
    given = settings.telemetry.endpoint
    if not given or settings.set_by_repository("telemetry.endpoint"):
        return None
    base = given.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def include_text(settings: Settings) -> bool:
    """Whether call spans carry their text: the user's own choice, never a repository's."""
    return settings.telemetry.include_text and not settings.set_by_repository("telemetry.include_text")


def ignored(settings: Settings) -> list[str]:
    """The telemetry keys a repository set that are not its to set, with the file, for one warning line."""
    keys = ("telemetry.endpoint", "telemetry.include_text")
    return [f"{key} ({where})" for key in keys if (where := settings.set_by_repository(key))]
