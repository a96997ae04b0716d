"""The trained model understands held-out shopper messages well enough (tests/nlu/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aisle.nlu_report import (
    THRESHOLDS_FILE,
    NluReportError,
    Thresholds,
    evaluate,
    fallback_threshold,
)
from aisle.stack import DEFAULT_MODEL


def test_nlu_meets_the_quality_thresholds(tmp_path: Path, artifacts_dir: Path) -> None:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"No trained model at {DEFAULT_MODEL}: run `make train` (make test does).")
    thresholds = Thresholds.load(THRESHOLDS_FILE)
    try:
        report = evaluate(tmp_path / "rasa")
    except NluReportError as error:
        pytest.fail(str(error))

    summary = f"{report.table(thresholds)}\n\n{report.confusions_text(limit=25)}\n"
    threshold = fallback_threshold()
    if threshold is not None:
        summary += report.low_confidence_text(threshold) + "\n"
    kept = artifacts_dir / "nlu"
    if kept.exists():
        shutil.rmtree(kept)
    shutil.copytree(report.out_dir, kept)
    (kept / "summary.txt").write_text(summary, encoding="utf-8")

    problems = report.failures(thresholds)
    assert not problems, (
        "NLU quality gate failed:\n  - "
        + "\n  - ".join(problems)
        + f"\n\n{summary}\nReport and confusion matrix: {kept}"
    )
    assert report.confusion_matrix is not None, "rasa test nlu wrote no confusion matrix"
