"""The NLU report's parsing and threshold checks, on hand-written Rasa output (no Rasa needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from aisle.nlu_report import (
    TEST_MESSAGES,
    THRESHOLDS_FILE,
    NluReportError,
    Thresholds,
    fallback_threshold,
    main,
    read_report,
    run_rasa_test,
)
from aisle.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "nlu_report"


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    """A copy of the fixture files, as if `rasa test nlu --out` had written them."""
    out = tmp_path / "report"
    shutil.copytree(FIXTURES, out)
    return out


def gate(**overrides: object) -> Thresholds:
    values: dict[str, object] = {
        "intents": ["track_order", "refund_status", "affirm"],
        "min_macro_f1": 0.8,
        "min_intent_f1": 0.6,
        "min_entity_f1": 0.9,
    }
    return Thresholds.model_validate({**values, **overrides})


def test_reads_per_intent_scores_without_rasa_summary_rows(report_dir: Path) -> None:
    report = read_report(report_dir)

    assert set(report.intents) == {"track_order", "refund_status", "affirm", "nlu_fallback"}
    refund = report.intents["refund_status"]
    assert (refund.precision, refund.recall, refund.support) == (0.8, 0.6, 10)
    assert refund.f1 == pytest.approx(0.6857, abs=1e-4)
    assert refund.confused_with == {"track_order": 2, "nlu_fallback": 2}
    assert report.accuracy == pytest.approx(0.857, abs=1e-3)
    assert report.confusion_matrix is None


def test_macro_f1_averages_the_gated_intents_only(report_dir: Path) -> None:
    report = read_report(report_dir)

    # Not Rasa's "macro avg" (0.65), which also averages the predicted-only nlu_fallback.
    assert report.macro_f1(["track_order", "refund_status", "affirm"]) == pytest.approx(
        (0.925 + 0.6857142857142857 + 1.0) / 3
    )
    assert report.macro_f1(["track_order", "greet"]) == pytest.approx(0.925 / 2)


def test_entities_come_from_the_regex_extractor_report_without_no_entity(
    report_dir: Path,
) -> None:
    report = read_report(report_dir)

    assert set(report.entities) == {"email", "order_number"}
    assert report.entities["order_number"].recall == 0.9


def test_worst_confusions_are_the_most_confident_mistakes_first(report_dir: Path) -> None:
    worst = read_report(report_dir).worst_confusions(limit=2)

    assert [(e.text, e.predicted, e.confidence) for e in worst] == [
        ("my order and refund", "refund_status", 0.98),
        ("has my money come back", "track_order", 0.91),
    ]


def test_passes_when_every_threshold_is_met(report_dir: Path) -> None:
    assert read_report(report_dir).failures(gate()) == []


def test_macro_f1_below_threshold_fails(report_dir: Path) -> None:
    problems = read_report(report_dir).failures(gate(min_macro_f1=0.9))

    assert len(problems) == 1
    assert problems[0].startswith("macro F1 over the 3 gated intents is 0.870, below 0.90")


def test_one_intent_below_the_floor_fails_even_with_a_good_average(report_dir: Path) -> None:
    problems = read_report(report_dir).failures(gate(min_intent_f1=0.7))

    assert problems == [
        "refund_status: F1 0.686 is below the per-intent floor 0.70; "
        "confused with track_order (2), nlu_fallback (2)"
    ]


def test_a_gated_intent_missing_from_the_test_set_fails(report_dir: Path) -> None:
    problems = read_report(report_dir).failures(
        gate(intents=["track_order", "affirm", "deny"], min_macro_f1=0.5)
    )

    assert problems == ["deny: no test message has this intent"]


def test_entity_below_threshold_fails(report_dir: Path) -> None:
    problems = read_report(report_dir).failures(gate(min_entity_f1=0.99))

    assert problems == ["entity order_number: F1 0.947 is below 0.99"]


def test_missing_entity_report_fails_when_entities_are_gated(report_dir: Path) -> None:
    (report_dir / "RegexEntityExtractor_report.json").unlink()

    assert read_report(report_dir).failures(gate()) == [
        "no entity report (RegexEntityExtractor_report.json) to check entities against"
    ]
    assert read_report(report_dir).failures(gate(min_entity_f1=None)) == []


def test_no_errors_file_means_no_confusions(report_dir: Path) -> None:
    (report_dir / "intent_errors.json").unlink()

    report = read_report(report_dir)

    assert report.errors == []
    assert report.confusions_text() == "Every test message was classified correctly."


def test_table_lists_gated_intents_first_and_marks_the_ones_below_the_floor(
    report_dir: Path,
) -> None:
    table = read_report(report_dir).table(gate(intents=["refund_status", "track_order", "deny"]))
    lines = table.splitlines()

    assert lines[1].startswith("refund_status") and "track_order 2, nlu_fallback 2" in lines[1]
    assert "below floor" not in lines[1]  # 0.686 >= the floor of 0.6
    assert lines[2].startswith("track_order")
    assert "(not in test set)" in lines[3]
    assert any(line.startswith("nlu_fallback") and "(not gated)" in line for line in lines)
    assert "macro F1 (gated)" in table
    assert "order_number" in table
    strict = read_report(report_dir).table(gate(min_intent_f1=0.7))
    assert "refund_status" in strict and strict.count("<< below floor") == 1


def test_missing_report_names_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(NluReportError, match=r"python -m aisle\.nlu_report"):
        read_report(tmp_path)


def test_malformed_report_is_an_error_not_a_crash(report_dir: Path) -> None:
    (report_dir / "intent_report.json").write_text(json.dumps({"affirm": {"precision": 1}}))

    with pytest.raises(NluReportError, match="unexpected row for 'affirm'"):
        read_report(report_dir)


def test_missing_model_says_run_make_train(tmp_path: Path) -> None:
    with pytest.raises(NluReportError, match="run `make train`"):
        run_rasa_test(tmp_path, model=tmp_path / "missing.tar.gz")


def test_cli_exit_codes(
    report_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passing = tmp_path / "pass.yml"
    passing.write_text(yaml.safe_dump(gate().model_dump(mode="json")))
    failing = tmp_path / "fail.yml"
    failing.write_text(yaml.safe_dump(gate(min_macro_f1=0.95).model_dump(mode="json")))

    assert main(["--no-run", "--out", str(report_dir), "--thresholds", str(passing)]) == 0
    assert main(["--no-run", "--out", str(report_dir), "--thresholds", str(failing)]) == 1
    assert "below 0.95" in capsys.readouterr().err
    assert main(["--no-run", "--out", str(tmp_path), "--thresholds", str(passing)]) == 2


def test_thresholds_reject_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.yml"
    path.write_text("intents: [affirm]\nmin_macro_f1: 0.9\nmin_intent_f1: 0.8\nmin_f1: 1\n")

    with pytest.raises(NluReportError, match="min_f1"):
        Thresholds.load(path)


def test_project_thresholds_gate_domain_intents_with_enough_test_messages() -> None:
    thresholds = Thresholds.load(THRESHOLDS_FILE)
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    test_set = yaml.safe_load(TEST_MESSAGES.read_text())["nlu"]
    counts = {
        block["intent"]: sum(
            1 for line in block["examples"].splitlines() if line.strip().startswith("- ")
        )
        for block in test_set
        if "intent" in block
    }

    assert thresholds.min_macro_f1 >= 0.90
    assert set(thresholds.intents) <= set(domain["intents"])
    too_few = {i: counts.get(i, 0) for i in thresholds.intents if counts.get(i, 0) < 40}
    assert not too_few, f"every gated intent needs >= 40 held-out test messages: {too_few}"


def test_counts_correct_predictions_below_the_fallback_threshold(report_dir: Path) -> None:
    report = read_report(report_dir)

    assert [p.text for p in report.below_confidence(0.7)] == ["parcel?"]
    assert report.low_confidence_text(0.7).startswith(
        "1 of 8 messages were classified correctly but below the fallback threshold 0.70"
    )
    assert report.low_confidence_text(0.7).endswith(": track_order 1")


def test_fallback_threshold_is_read_from_the_rasa_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n  - name: FallbackClassifier\n    threshold: 0.55\n"
    )

    assert fallback_threshold(config) == 0.55
    config.write_text("pipeline:\n  - name: DIETClassifier\n")
    assert fallback_threshold(config) is None
