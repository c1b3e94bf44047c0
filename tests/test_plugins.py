"""A provider from a real installed package, found through the gearshift.providers entry point."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

DIST = "gearshift_echo-0.1"
MODULE = """\
from gearshift.effort import Effort
from gearshift.models.base import Reply, Usage


class Echo:
    billing = None

    def __init__(self, config):
        self.name = "echo"
        self.config = config

    def supported_efforts(self, model):
        return tuple(Effort)

    def context_window(self, model):
        return None

    def complete(self, request, effort_sent):
        text = f"{self.config.get('greeting', 'hi')} {request.input} {sorted(self.config)}"
        return Reply(text=text, usage=Usage(input_tokens=3, output_tokens=5), model=request.model,
                     effort_sent=effort_sent)


def make(config):
    return Echo(config)


def make_a_string(config):
    return "not a provider"


def explode(config):
    raise RuntimeError("the echo chamber\\nis closed")
"""
ENTRY_POINTS = """\
[gearshift.providers]
echo = gearshift_echo:make
echo-string = gearshift_echo:make_a_string
echo-explodes = gearshift_echo:explode
echo-missing = gearshift_echo:no_such_factory
echo-unimportable = gearshift_echo_gone:make
"""


def _wheel(directory: Path) -> Path:
    files = {
        "gearshift_echo.py": MODULE,
        f"{DIST}.dist-info/METADATA": "Metadata-Version: 2.1\nName: gearshift-echo\nVersion: 0.1\n",
        f"{DIST}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{DIST}.dist-info/entry_points.txt": ENTRY_POINTS,
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{DIST}.dist-info/RECORD"] = "\n".join([*record, f"{DIST}.dist-info/RECORD,,"]) + "\n"
    wheel = directory / f"{DIST}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed by pip, as a user would install it, into a directory of its own."""
    root = tmp_path_factory.mktemp("plugin")
    target = root / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--no-deps", "--no-index", "--target", str(target), str(_wheel(root))],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (target / f"{DIST}.dist-info" / "entry_points.txt").is_file()
    return target


def _gearshift(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "GEARSHIFT_"))}
    env.update(PYTHONPATH=str(site), HOME=str(cwd.parent / "home"), GEARSHIFT_HOME=str(cwd.parent / "gshome"))
    return subprocess.run(
        [sys.executable, "-m", "gearshift", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_an_installed_plug_in_answers_with_its_config_and_is_in_the_ledger(site: Path, hermetic: Path) -> None:
    (hermetic / "gearshift.toml").write_text('[providers.echo]\ngreeting = "ahoy"\nmodel = "echo-1"\n')

    result = _gearshift(site, hermetic, "ask", "--provider", "echo", "hello")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "ahoy hello ['greeting', 'model']\n"
    [row] = json.loads(_gearshift(site, hermetic, "calls", "--json").stdout)
    assert (row["provider"], row["model"], row["phase"], row["status"]) == ("echo", "echo-1", "ask", "ok")
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (3, 5, None)
    shown = {r["key"]: r for r in json.loads(_gearshift(site, hermetic, "config", "show", "--json").stdout)}
    assert shown["providers.echo.greeting"]["source"] == str(hermetic / "gearshift.toml")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("echo-string", "its factory returned a str, which lacks name, billing, supported_efforts, complete,"),
        ("echo-explodes", "failed to start: RuntimeError: the echo chamber is closed"),
        ("echo-missing", "cannot be loaded: AttributeError"),
        ("echo-unimportable", "cannot be loaded: ModuleNotFoundError: No module named 'gearshift_echo_gone'"),
    ],
)
def test_a_broken_plug_in_is_one_line_naming_it_and_its_package(
    site: Path, hermetic: Path, name: str, words: str
) -> None:
    result = _gearshift(site, hermetic, "ask", "--provider", name, "hello")

    assert result.returncode == 2
    assert result.stderr.startswith(f"gearshift: provider {name!r} from package gearshift-echo (gearshift_echo")
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_an_unknown_provider_lists_the_built_ins_and_the_plug_ins(site: Path, hermetic: Path) -> None:
    result = _gearshift(site, hermetic, "ask", "--provider", "gemini", "hello")

    assert result.returncode == 2
    assert (
        "unknown provider 'gemini': choose one of openai, openai-chat, anthropic, replay,"
        " codex, claude-code, gemini-cli, command, manual, echo," in result.stderr
    )
    assert "echo-unimportable" in result.stderr
