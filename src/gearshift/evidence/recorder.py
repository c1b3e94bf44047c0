"""The driver's side of a cell: the one writer of the shared ledger, the results and the predictions.

Each outcome is written whole before the next is taken: its ledger rows (copied once, so a
resumed suite never counts a cell twice), its run's files where ``gearshift show`` finds them,
then one line of results.jsonl and one of predictions/STRATEGY.jsonl, each flushed to disk. A
results line is written last, so a cell whose line is there is complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearshift.evidence.cell import CellOutcome, CellSpec
from gearshift.evidence.summary import RESULTS_FILE as RESULTS
from gearshift.ledger import Ledger
from gearshift.runs import write_atomic

PREDICTIONS = "predictions"
ORDER = "strategies.json"


class Recorder:
    def __init__(
        self,
        ledger: Ledger,
        runs_dir: Path,
        out_dir: Path,
        *,
        model_name: str = "gearshift",
        on_row: Callable[[CellSpec, dict[str, Any]], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.on_row = on_row  # told of each row once it is on disk (the CLI prints a line)
        self.runs_dir = runs_dir  # artifacts of run R go to runs_dir / R
        self.out_dir = out_dir
        self.model_name = model_name
        self.rows: list[dict[str, Any]] = []

    def record(self, spec: CellSpec, outcome: CellOutcome) -> dict[str, Any]:
        run_id = outcome.row.get("run_id")
        if outcome.records:
            self.ledger.import_run(outcome.records)
        if run_id:
            for name, text in outcome.artifacts.items():
                write_atomic(self.runs_dir / run_id / name, text)
        if spec.instance_id is not None:
            # SWE-bench grades one prediction per instance: each repeat gets a file of its own
            suffix = "" if spec.repeat == 1 else f".repeat-{spec.repeat}"
            prediction = {
                "instance_id": spec.instance_id,
                "model_name_or_path": f"{self.model_name}/{spec.strategy}{suffix}",
                "model_patch": outcome.patch,
            }
            _put_prediction(self.out_dir / PREDICTIONS / f"{spec.strategy}{suffix}.jsonl", prediction)
        _append(self.out_dir / RESULTS, outcome.row)
        self.rows.append(outcome.row)
        if self.on_row is not None:
            self.on_row(spec, outcome.row)
        return outcome.row


def write_order(out_dir: Path, strategies: tuple[str, ...]) -> None:
    """The strategies in the order the user gave them: the report pairs the others against the first."""
    write_atomic(out_dir / ORDER, json.dumps({"strategies": list(strategies)}))


def strategy_order(out_dir: Path) -> list[str]:
    try:
        data = json.loads((out_dir / ORDER).read_text(encoding="utf-8"))
        return [str(name) for name in data["strategies"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _put_prediction(path: Path, prediction: dict[str, Any]) -> None:
    """One line per instance: a cell run again after a kill replaces its line instead of adding one."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if _instance(line) not in (None, prediction["instance_id"])]
    write_atomic(path, "".join(line + "\n" for line in [*kept, json.dumps(prediction)]))


def _instance(line: str) -> str | None:
    try:
        return str(json.loads(line)["instance_id"])
    except (ValueError, KeyError, TypeError):
        return None


def _append(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as out:
        out.seek(0, os.SEEK_END)
        if out.tell():  # a line a kill cut short is ended, so this one stands on its own
            out.seek(-1, os.SEEK_END)
            if out.read(1) != b"\n":
                out.write(b"\n")
        out.write(json.dumps(data).encode("utf-8") + b"\n")
        out.flush()
        os.fsync(out.fileno())
