"""Secrets never reach a model: one scanner masks them in every prompt, transcript, map and cache."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from fakeapi import FakeAPI, responses_reply
from helpers import request, settings_for
from scripted_model import CALC, CHECK, ScriptedModel
from workflow_helpers import TEST_CMD, git, settings

from gearshift.context.index import words
from gearshift.context.step_files import step_files_context
from gearshift.context.tokens import counter_for
from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request, make_provider
from gearshift.secrets import count_masked, mask
from gearshift.settings import Settings
from gearshift.workflow import RunOptions, Workflow

# Shaped like real credentials, valid for nothing.
AWS = "AKIAQ7XK3PL9MZ2RT5VB"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Lk2Tm4N"
PROJ = "sk-proj-Zx8Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz1Xc3Vb5Nm7Qa9Ws1Ed3Rf5Tg7Yh9Uj1Ik3Ol5P-_q7R"
ANT = "sk-ant-api03-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6Nm8Qa0Ws2Ed4Rf6Tg8Yh0Uj2Ik4Ol6Pz8Xy0AA"
GHP = "ghp_Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg9Fe8Dc7B"
GH_FINE = "github_pat_11ABCDEFG0aBcDeFgHiJkLm_NoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01"
PEM_BODY = (
    "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
)
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}-----END RSA PRIVATE KEY-----\n"
SECRETS = (AWS, AWS_SECRET, PROJ, ANT, GHP, GH_FINE, "hunter2-Prod!", "Tr0ub4dor&3", "Sup3rS3cretDb")


def _leaks(text: str) -> list[str]:
    return [secret for secret in (*SECRETS, PEM_BODY.split()[0]) if secret in text]


# --- the scanner ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f'ACCESS_KEY_ID = "{AWS}"\n', "AWS Access Key"),
        (f'aws_secret_access_key = "{AWS_SECRET}"\n', "AWS Access Key"),
        (f'client = OpenAI(api_key="{PROJ}")\n', "OpenAI Token"),
        (f"const anthropic = new Anthropic({{ apiKey: '{ANT}' }});\n", "Anthropic Key"),
        (f"git clone https://{GHP}@github.com/me/private.git\n", "GitHub Token"),
        (f"token: {GH_FINE}\n", "GitHub Token"),
        ("PASSWORD=hunter2-Prod!\n", "Secret Keyword"),
        ('db_password = "Tr0ub4dor&3"\n', "Secret Keyword"),
        ("postgres://app:Sup3rS3cretDb@db.internal:5432/app\n", "Basic Auth Credentials"),
    ],
)
def test_each_kind_of_secret_is_masked_and_named(text: str, kind: str) -> None:
    result = mask(text)
    assert _leaks(result.text) == []
    assert f"[secret masked: {kind}]" in result.text
    assert result.masked == 1
    assert mask(result.text) == (result.text, 0)  # the placeholder is no secret: masking twice changes nothing


def test_a_private_key_is_masked_whole_and_keeps_its_lines() -> None:
    text = f"key = '''\n{PEM}'''\nnext_line = 1\n"
    result = mask(text)
    assert PEM_BODY.split()[0] not in result.text and PEM_BODY.split()[1] not in result.text
    assert "-----BEGIN RSA PRIVATE KEY-----\n[secret masked: Private Key]\n" in result.text
    assert result.text.count("\n") == text.count("\n")  # line numbers in check output still hold
    assert mask(result.text).masked == 0


def test_a_key_in_a_json_string_and_a_key_cut_off_are_masked_too() -> None:
    one_line = json.dumps({"private_key": PEM})
    assert PEM_BODY.split()[0] not in mask(one_line).text
    cut = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}"  # an excerpt that ends inside the key
    assert PEM_BODY.split()[1] not in mask(cut).text


def test_a_value_found_once_is_masked_wherever_it_occurs() -> None:
    # in a diff line or check output nothing around the value says it is a secret
    long_password = "Tr0ub4dor&3-horse-Staple"
    text = (
        f'aws_secret_access_key = "{AWS_SECRET}"\nE   SignatureDoesNotMatch for {AWS_SECRET}\n'
        f"PASSWORD={long_password}\n+    login(user, {long_password!r})\n"
    )
    result = mask(text)
    assert AWS_SECRET not in result.text and long_password not in result.text
    assert result.masked == 4


def test_masking_counts_values_not_lines() -> None:
    text = f'a = "{AWS}"\nb = "{GHP}"\nPASSWORD=hunter2-Prod!\n{PEM}'
    result = mask(text)
    assert result.masked == 4
    assert count_masked(result.text) == 4


ORDINARY_PYTHON = '''\
import hashlib


def check_password(user, password: str) -> bool:
    """Compare the password's hash; never log the password."""
    if password == user.password:
        return True
    token = request.headers["token"]
    secret_key = os.environ["SECRET_KEY"]
    api_key = settings.api_key or get_api_key()
    return hashlib.sha256(password.encode()).hexdigest() == user.digest


ENV_API_KEY = "ANTHROPIC_API_KEY"
PASSWORD_LABEL = "Enter your password"
commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
RUN_ID = "3f2b8c1e-9d4a-4e6b-8c2d-1a5f7e9b0c3d"
env = {"OPENAI_API_KEY": "sk-test"}  # a test's stand-in key
connect(password=password, api_key=settings.api_key)


def read_pem(lines):
    if lines[0] == "-----BEGIN RSA PRIVATE KEY-----":
        return lines[1:-1]
    return None
FOOTER = "-----END RSA PRIVATE KEY-----"
'''

ORDINARY_JS = """\
import { createHash } from "crypto";

export function login({ username, password }) {
  const token = jwt.sign({ sub: username }, process.env.JWT_SECRET);
  if (password !== confirmPassword) throw new Error("passwords differ");
  return fetch(`${API}/login`, { headers: { Authorization: `Bearer ${token}` } });
}
const secret = config.secret;
"""


def _package_lock(count: int) -> str:
    # integrity hashes as npm writes them: sha512 in base64, sha1 in hex
    packages = {}
    for n in range(count):
        digest = hashlib.sha512(f"package-{n}".encode()).digest()
        packages[f"node_modules/pkg-{n}"] = {
            "version": f"1.{n}.0",
            "resolved": f"https://registry.npmjs.org/pkg-{n}/-/pkg-{n}-1.{n}.0.tgz",
            "integrity": "sha512-" + base64.b64encode(digest).decode(),
            "shasum": hashlib.sha1(digest).hexdigest(),
        }
    return json.dumps({"name": "app", "lockfileVersion": 3, "packages": packages}, indent=2)


@pytest.mark.parametrize(
    "text",
    [ORDINARY_PYTHON, ORDINARY_JS, _package_lock(3000)],
    ids=["python", "javascript", "package-lock"],
)
def test_ordinary_code_is_left_alone(text: str) -> None:
    # the model copies SEARCH text exactly: a masked line of ordinary code could not be edited
    assert mask(text) == (text, 0)


# --- every request, through the one door -----------------------------------------------------------------------


def test_the_gateway_masks_every_request_and_says_how_many(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply("ok"))
    counted: list[tuple[str, int]] = []
    shown: list[str] = []

    def progress(label: str) -> AbstractContextManager[None]:
        shown.append(label)
        return nullcontext()

    gateway = Gateway(
        Ledger(tmp_path / "ledger.db"), progress=progress, on_masked=lambda site, n: counted.append((site.phase, n))
    )
    transcript = tmp_path / "t.jsonl"
    prov = make_provider(
        "openai", settings_for("openai", fake_api.url), environ={"OPENAI_API_KEY": "k"}, record_to=transcript
    )

    asked = Request(f"key {AWS}", f"fix this:\nE   KeyError: {PROJ}\n{PEM}", "gpt-5.4", Effort.MEDIUM)
    gateway.call(prov, asked, CallSite("fix"))

    sent = json.dumps(fake_api.seen[0].body)
    assert _leaks(sent) == []
    assert "[secret masked: OpenAI Token]" in sent and "[secret masked: AWS Access Key]" in sent
    assert counted == [("fix", 3)]
    assert shown == ["openai gpt-5.4 @ medium (3 secret values masked)"]  # what the CLI's spinner says
    assert gateway.masked_values == 3
    recorded = transcript.read_text()
    assert _leaks(recorded) == []
    assert json.loads(recorded)["request"]["secrets_masked"] == 3


def test_a_masked_call_replays(fake_api: FakeAPI, tmp_path: Path) -> None:
    # the recorded request is the masked one, and a replayed request is masked the same way
    fake_api.push(responses_reply("recorded answer"))
    transcript = tmp_path / "t.jsonl"
    asked = request(f"deploy with {AWS}")
    recorder = make_provider(
        "openai", settings_for("openai", fake_api.url), environ={"OPENAI_API_KEY": "k"}, record_to=transcript
    )
    Gateway(Ledger(tmp_path / "a.db")).call(recorder, asked, CallSite("ask"))

    replay = make_provider(
        "replay", Settings.model_validate({"providers": {"replay": {"transcript": str(transcript)}}})
    )
    assert Gateway(Ledger(tmp_path / "b.db")).call(replay, asked, CallSite("ask")).text == "recorded answer"


# --- the map, its cache, step prompts, the diff and check output: a whole run -------------------------------


def _repo_with_secrets(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "calc.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{AWS}"\n\n\ndef client(key="{PROJ}"):\n    return key\n\n\n' + CALC
    )
    # the check prints the keys: a failing check's output goes into the fix prompt
    (path / "check.py").write_text(
        CHECK.replace("import calc\n", "import calc\n\nprint(calc.AWS_ACCESS_KEY_ID, calc.client())\n")
    )
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def test_no_secret_reaches_the_model_in_a_whole_run(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = _repo_with_secrets(tmp_path / "repo")
    model = ScriptedModel()
    model.serve(fake_api)
    ledger = Ledger(repo / ".gearshift" / "ledger.db")
    transcript = tmp_path / "run.jsonl"
    wf = Workflow(
        repo,
        settings(fake_api.url),
        ledger,
        Gateway(ledger),
        environ={"OPENAI_API_KEY": "sk-test"},
        record_to=transcript,
    )

    run_id = wf.run(
        "Add mul and sub to calc and the client", RunOptions(test_cmd=TEST_CMD), lambda text, path: True
    ).run_id

    assert wf.get_run(run_id).status == "done"  # the masked prompts still let every edit apply
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    for seen, what in zip(fake_api.seen, model.asked, strict=True):
        assert _leaks(json.dumps(seen.body)) == [], what
    assert "[secret masked: OpenAI Token]" in fake_api.seen[0].body["input"]  # the map shows client's default
    assert "[secret masked: AWS Access Key]" in fake_api.seen[2].body["input"]  # the check's output, in the fix
    assert "[secret masked: AWS Access Key]" in fake_api.seen[-1].body["input"]  # the diff's context
    assert _leaks(transcript.read_text()) == []
    assert PROJ in (repo / "calc.py").read_text()  # the file itself is the user's, untouched

    cache = repo / ".gearshift" / "cache" / "index.db"
    assert _leaks(cache.read_bytes().decode("latin-1")) == []
    with sqlite3.connect(cache) as db:
        terms = {term for (term,) in db.execute("SELECT term FROM postings")}
        signatures = " ".join(symbols for (symbols,) in db.execute("SELECT symbols FROM docs"))
    fragments = {w for secret in (AWS, PROJ) for w in words(secret) if len(w) > 4}
    assert fragments and not fragments & terms  # not even the key's pieces, as the lexical index splits words
    assert _leaks(signatures) == []


def test_gearshift_map_never_shows_a_secret(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(["git", "init", "-q", str(hermetic)], check=True)
    (hermetic / "deploy.py").write_text(f'def upload(bucket, key_id="{AWS}", token="{GHP}"):\n    pass\n')

    shown = cli("map", "upload to the bucket")
    as_json = cli("map", "upload to the bucket", "--json")

    assert shown.exit_code == 0 and as_json.exit_code == 0, shown.stderr
    assert "def upload(bucket, key_id=" in shown.stdout
    assert _leaks(shown.stdout + as_json.stdout) == []
    assert "[secret masked: AWS Access Key]" in shown.stdout


def test_a_cache_written_before_masking_is_rebuilt(hermetic: Path) -> None:
    from gearshift.context.index import RepoIndex

    (hermetic / "deploy.py").write_text(f'def upload(key_id="{AWS}"):\n    pass\n')
    cache = hermetic / "index.db"
    with sqlite3.connect(cache) as db:  # a cache as an older gearshift wrote it, the key in it
        db.executescript(
            "CREATE TABLE docs (digest TEXT PRIMARY KEY, length INTEGER, symbols TEXT, imports TEXT);"
            f"INSERT INTO docs VALUES ('x', 1, '[\"{AWS}\"]', '[]');"
        )
    index = RepoIndex(hermetic, cache)
    index.refresh()
    index.close()
    assert AWS not in cache.read_bytes().decode("latin-1")


def test_step_files_show_files_masked(hermetic: Path) -> None:
    (hermetic / "settings.py").write_text(f'DEBUG = False\nSTRIPE = "{GHP}"\nPASSWORD = "Tr0ub4dor&3"\n')
    shown = step_files_context(hermetic, ["settings.py"], counter_for("gpt-5.4"), budget=4000)
    assert _leaks(shown) == []
    assert "DEBUG = False" in shown and shown.count("[secret masked:") == 2


def test_the_scanner_needs_no_network() -> None:
    # detect-secrets can verify keys online; gearshift never asks it to, nor lets it load anything
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('no network here')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse; socket.getaddrinfo = refuse\n"
        "from gearshift.secrets import mask\n"
        f"print(mask({'aws = ' + AWS!r}).masked)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "1"), result.stderr
