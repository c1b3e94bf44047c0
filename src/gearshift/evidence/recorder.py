"""The driver's side of a cell: the one writer of the shared ledger, the results and the predictions.

Each outcome is written whole before the next is taken: its ledger rows (copied once, so a
resumed suite never counts a cell twice), its run's files where ``gearshift show`` finds them,
then one line of results.jsonl and one of predictions/STRATEGY.jsonl, each flushed to disk. A
results line is written last, so a cell whose line is there is complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gearshift.evidence.cell import CellOutcome, CellSpec
from gearshift.evidence.summary import RESULTS_FILE as RESULTS
from gearshift.ledger import Ledger
from gearshift.runs import write_atomic

PREDICTIONS = "predictions"


class Recorder:
    def __init__(self, ledger: Ledger, runs_dir: Path, out_dir: Path, *, model_name: str = "gearshift") -> None:
        self.ledger = ledger
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
            prediction = {
                "instance_id": spec.instance_id,
                "model_name_or_path": f"{self.model_name}/{spec.strategy}",
                "model_patch": outcome.patch,
            }
            _append(self.out_dir / PREDICTIONS / f"{spec.strategy}.jsonl", prediction)
        _append(self.out_dir / RESULTS, outcome.row)
        self.rows.append(outcome.row)
        return outcome.row


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
