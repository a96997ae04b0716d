"""Scores the trained model on the held-out NLU test set and checks it against thresholds.

Runs ``rasa test nlu`` on ``tests/nlu/test_messages.yml`` (messages the model was never trained
on), reads the files Rasa writes (``intent_report.json``, ``intent_errors.json``, the
RegexEntityExtractor's ``*_report.json`` and ``intent_confusion_matrix.png``) and returns an
:class:`NluReport`. The thresholds live in ``tests/nlu/thresholds.yml``; ``make test`` checks them
(``tests/test_nlu_quality.py``) and so does the CLI::

    python -m aisle.nlu_report [--out DIR]

which prints the per-intent table and exits 1 when a threshold is not met (2 when the report could
not be made, e.g. no trained model).

The macro F1 is computed here, over the gated intents only: Rasa's own "macro avg" also averages
labels that are not in the test set but were predicted (``greet``, ``product_search``, ...), whose
F1 is 0 by definition, so it moves with whatever the model gets wrong rather than with the intents
the issue names.

``rasa test nlu`` scores the classifier's top intent: it undoes the FallbackClassifier's
``nlu_fallback``. The report therefore also counts the correct predictions whose confidence is
below the FallbackClassifier's threshold in config.yml: in a conversation those shoppers would get
the fallback answer. That count is shown, not gated.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aisle.settings import PROJECT_ROOT, VAR_DIR
from aisle.stack import DEFAULT_MODEL, DEFAULT_RASA_BIN

logger = logging.getLogger(__name__)

TEST_MESSAGES = PROJECT_ROOT / "tests" / "nlu" / "test_messages.yml"
THRESHOLDS_FILE = PROJECT_ROOT / "tests" / "nlu" / "thresholds.yml"
CONFIG_FILE = PROJECT_ROOT / "config.yml"
DEFAULT_OUT_DIR = VAR_DIR / "nlu_report"

INTENT_REPORT = "intent_report.json"
INTENT_ERRORS = "intent_errors.json"
INTENT_SUCCESSES = "intent_successes.json"
CONFUSION_MATRIX = "intent_confusion_matrix.png"
ENTITY_EXTRACTOR = "RegexEntityExtractor"
ENTITY_REPORT = f"{ENTITY_EXTRACTOR}_report.json"
# Everything `rasa test nlu` may write; deleted before a run so no stale file is read.
_RASA_OUTPUTS = ("intent_*", "*_report.json", "*_errors.json", "*_successes.json", "*.png")
# Rasa's summary rows in a report, next to the per-label rows.
_SUMMARY_ROWS = {"accuracy", "macro avg", "micro avg", "weighted avg"}


class NluReportError(RuntimeError):
    """The report could not be made; the message says how to fix it."""


class Thresholds(BaseModel):
    """The quality gate: which intents it covers and the scores they must reach."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intents: tuple[str, ...] = Field(min_length=1)
    min_macro_f1: float = Field(ge=0.0, le=1.0)
    min_intent_f1: float = Field(ge=0.0, le=1.0)
    min_entity_f1: float | None = Field(default=None, ge=0.0, le=1.0)

    @classmethod
    def load(cls, path: Path = THRESHOLDS_FILE) -> Thresholds:
        """Reads the thresholds from a YAML file."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls.model_validate(data)
        except FileNotFoundError as error:
            raise NluReportError(f"No thresholds file at {path}") from error
        except (yaml.YAMLError, ValidationError) as error:
            raise NluReportError(f"Invalid thresholds file {path}: {error}") from error


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of one label (an intent or an entity) on the test set."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    confused_with: dict[str, int] = field(default_factory=dict)
    """For an intent: the intents its messages were most often taken for, with counts."""


@dataclass(frozen=True)
class Prediction:
    """The model's intent for one test message."""

    text: str
    intent: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class NluReport:
    """What `rasa test nlu` measured, read back from its output folder."""

    intents: dict[str, Score]
    entities: dict[str, Score]
    errors: list[Prediction]
    """The misclassified messages."""
    successes: list[Prediction]
    """The correctly classified messages."""
    accuracy: float | None
    out_dir: Path
    confusion_matrix: Path | None

    def f1(self, intent: str) -> float:
        """Returns the intent's F1, 0 when the test set has no message of it."""
        score = self.intents.get(intent)
        return score.f1 if score is not None else 0.0

    def macro_f1(self, intents: Sequence[str]) -> float:
        """Returns the unweighted mean F1 of the given intents."""
        return sum(self.f1(intent) for intent in intents) / len(intents) if intents else 0.0

    def worst_confusions(self, limit: int = 15) -> list[Prediction]:
        """Returns the misclassified messages, the most confidently wrong first."""
        return sorted(self.errors, key=lambda error: error.confidence, reverse=True)[:limit]

    def below_confidence(self, threshold: float) -> list[Prediction]:
        """Returns the correct predictions whose confidence is below ``threshold``."""
        return [p for p in self.successes if p.confidence < threshold]

    def failures(self, thresholds: Thresholds) -> list[str]:
        """Returns one line per threshold not met; empty when the gate passes."""
        problems: list[str] = []
        macro = self.macro_f1(thresholds.intents)
        if macro < thresholds.min_macro_f1:
            problems.append(
                f"macro F1 over the {len(thresholds.intents)} gated intents is {macro:.3f}, "
                f"below {thresholds.min_macro_f1:.2f}"
            )
        for intent in thresholds.intents:
            score = self.intents.get(intent)
            if score is None or score.support == 0:
                problems.append(f"{intent}: no test message has this intent")
            elif score.f1 < thresholds.min_intent_f1:
                problems.append(
                    f"{intent}: F1 {score.f1:.3f} is below the per-intent floor "
                    f"{thresholds.min_intent_f1:.2f}{_confused_suffix(score)}"
                )
        if thresholds.min_entity_f1 is not None:
            if not self.entities:
                problems.append(f"no entity report ({ENTITY_REPORT}) to check entities against")
            for entity, score in self.entities.items():
                if score.f1 < thresholds.min_entity_f1:
                    problems.append(
                        f"entity {entity}: F1 {score.f1:.3f} is below "
                        f"{thresholds.min_entity_f1:.2f}"
                    )
        return problems

    def table(self, thresholds: Thresholds) -> str:
        """Formats the per-intent (and per-entity) scores as a plain-text table."""
        gated = set(thresholds.intents)
        rows = [f"{'intent':<18} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}  confused with"]
        ordered = [*thresholds.intents, *sorted(set(self.intents) - gated)]
        for intent in ordered:
            score = self.intents.get(intent)
            if score is None:
                rows.append(f"{intent:<18} {'-':>6} {'-':>6} {'-':>6} {0:>4}  (not in test set)")
                continue
            mark = ""
            if intent in gated and score.f1 < thresholds.min_intent_f1:
                mark = "  << below floor"
            elif intent not in gated:
                mark = "  (not gated)"
            confused = ", ".join(f"{label} {n}" for label, n in score.confused_with.items())
            rows.append(
                f"{intent:<18} {score.precision:>6.3f} {score.recall:>6.3f} {score.f1:>6.3f} "
                f"{score.support:>4}  {confused}{mark}"
            )
        macro = self.macro_f1(thresholds.intents)
        rows.append(
            f"{'macro F1 (gated)':<18} {'':>6} {'':>6} {macro:>6.3f}       "
            f"threshold {thresholds.min_macro_f1:.2f}, per-intent floor "
            f"{thresholds.min_intent_f1:.2f}"
        )
        if self.accuracy is not None:
            rows.append(f"{'accuracy':<18} {'':>6} {'':>6} {self.accuracy:>6.3f}")
        if self.entities:
            rows.append("")
            rows.append(f"{'entity':<18} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
            for entity, score in self.entities.items():
                rows.append(
                    f"{entity:<18} {score.precision:>6.3f} {score.recall:>6.3f} "
                    f"{score.f1:>6.3f} {score.support:>4}"
                )
        return "\n".join(rows)

    def low_confidence_text(self, threshold: float) -> str:
        """Says how many correct predictions the FallbackClassifier would still turn away."""
        low = self.below_confidence(threshold)
        total = len(self.successes) + len(self.errors)
        line = (
            f"{len(low)} of {total} messages were classified correctly but below the fallback "
            f"threshold {threshold:.2f} (not gated; the shopper would get the fallback answer)"
        )
        by_intent: dict[str, int] = {}
        for prediction in low:
            by_intent[prediction.intent] = by_intent.get(prediction.intent, 0) + 1
        if by_intent:
            counts = ", ".join(
                f"{i} {n}" for i, n in sorted(by_intent.items(), key=lambda x: -x[1])
            )
            line += f": {counts}"
        return line

    def confusions_text(self, limit: int = 15) -> str:
        """Formats the worst-confused messages, one per line."""
        worst = self.worst_confusions(limit)
        if not worst:
            return "Every test message was classified correctly."
        lines = [f"{len(self.errors)} misclassified; the {len(worst)} most confident mistakes:"]
        lines += [f"  {e.confidence:.2f}  {e.intent} -> {e.predicted}:  {e.text!r}" for e in worst]
        return "\n".join(lines)


def fallback_threshold(config: Path = CONFIG_FILE) -> float | None:
    """Returns the FallbackClassifier's threshold in the Rasa config, None without one."""
    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    for component in pipeline:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def _confused_suffix(score: Score) -> str:
    if not score.confused_with:
        return ""
    confused = ", ".join(f"{label} ({n})" for label, n in score.confused_with.items())
    return f"; confused with {confused}"


def read_report(out_dir: Path) -> NluReport:
    """Reads the files `rasa test nlu --out out_dir` wrote; needs no Rasa."""
    report_file = out_dir / INTENT_REPORT
    if not report_file.exists():
        raise NluReportError(
            f"No {INTENT_REPORT} in {out_dir}: run `python -m aisle.nlu_report` to create it"
        )
    raw = _read_json(report_file)
    if not isinstance(raw, dict):
        raise NluReportError(f"{report_file}: expected a JSON object, got {type(raw).__name__}")
    accuracy = raw.get("accuracy")
    errors_file = out_dir / INTENT_ERRORS
    errors_raw = _read_json(errors_file) if errors_file.exists() else []
    successes_file = out_dir / INTENT_SUCCESSES
    successes_raw = _read_json(successes_file) if successes_file.exists() else []
    entity_file = out_dir / ENTITY_REPORT
    entities_raw = _read_json(entity_file) if entity_file.exists() else {}
    matrix = out_dir / CONFUSION_MATRIX
    return NluReport(
        intents=_scores(raw, report_file),
        # "no_entity" is the tokens outside any entity: not an entity to gate.
        entities={
            label: score
            for label, score in _scores(entities_raw, entity_file).items()
            if label != "no_entity"
        },
        errors=[_prediction(item, errors_file) for item in errors_raw],
        successes=[_prediction(item, successes_file) for item in successes_raw],
        accuracy=float(accuracy) if isinstance(accuracy, int | float) else None,
        out_dir=out_dir,
        confusion_matrix=matrix if matrix.exists() else None,
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise NluReportError(f"{path} is not valid JSON: {error}") from error


def _scores(raw: Any, source: Path) -> dict[str, Score]:
    if not isinstance(raw, dict):
        raise NluReportError(f"{source}: expected a JSON object of labels")
    scores: dict[str, Score] = {}
    for label, row in raw.items():
        if label in _SUMMARY_ROWS or not isinstance(row, dict):
            continue
        try:
            confused = row.get("confused_with") or {}
            scores[label] = Score(
                label=label,
                precision=float(row["precision"]),
                recall=float(row["recall"]),
                f1=float(row["f1-score"]),
                support=int(row["support"]),
                confused_with={str(k): int(v) for k, v in confused.items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise NluReportError(f"{source}: unexpected row for {label!r}: {row}") from error
    return scores


def _prediction(item: Any, source: Path) -> Prediction:
    try:
        prediction = item["intent_prediction"]
        return Prediction(
            text=str(item["text"]),
            intent=str(item["intent"]),
            predicted=str(prediction["name"]),
            confidence=float(prediction.get("confidence") or 0.0),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise NluReportError(f"{source}: unexpected error entry: {item}") from error


def run_rasa_test(
    out_dir: Path,
    *,
    rasa_bin: Path = DEFAULT_RASA_BIN,
    model: Path = DEFAULT_MODEL,
    test_messages: Path = TEST_MESSAGES,
    timeout: float = 900.0,
) -> None:
    """Runs `rasa test nlu` on the held-out test set, writing its files to ``out_dir``."""
    if not rasa_bin.exists():
        raise NluReportError(f"Rasa is not installed at {rasa_bin}: run `make install`")
    if not model.exists():
        raise NluReportError(f"No trained model at {model}: run `make train`")
    if not test_messages.exists():
        raise NluReportError(f"No NLU test set at {test_messages}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in _RASA_OUTPUTS:
        for stale in out_dir.glob(pattern):
            if stale.is_file():
                stale.unlink()
    command = [
        str(rasa_bin),
        "test",
        "nlu",
        "--nlu",
        str(test_messages),
        "--model",
        str(model),
        "--out",
        str(out_dir),
        "--successes",
    ]
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    logger.info("Running %s", " ".join(command))
    try:
        result = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise NluReportError(f"`rasa test nlu` did not finish in {timeout:.0f} s") from error
    if result.returncode != 0 or not (out_dir / INTENT_REPORT).exists():
        output = (result.stdout[-2000:] + result.stderr[-3000:]).strip()
        raise NluReportError(
            f"`rasa test nlu` failed (exit code {result.returncode}); if the model is older "
            f"than config.yml or data/, run `make train`. Its last output:\n{output}"
        )


def evaluate(
    out_dir: Path = DEFAULT_OUT_DIR,
    *,
    rasa_bin: Path = DEFAULT_RASA_BIN,
    model: Path = DEFAULT_MODEL,
    test_messages: Path = TEST_MESSAGES,
) -> NluReport:
    """Runs `rasa test nlu` on the held-out test set and reads back its report."""
    run_rasa_test(out_dir, rasa_bin=rasa_bin, model=model, test_messages=test_messages)
    return read_report(out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Scores the trained model on the held-out NLU test set; exit code 1 below the thresholds."""
    parser = argparse.ArgumentParser(prog="python -m aisle.nlu_report", description=main.__doc__)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, help=f"output folder ({DEFAULT_OUT_DIR})"
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="trained model")
    parser.add_argument("--thresholds", type=Path, default=THRESHOLDS_FILE)
    parser.add_argument(
        "--no-run", action="store_true", help="only read the report already in --out"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        thresholds = Thresholds.load(args.thresholds)
        report = read_report(args.out) if args.no_run else evaluate(args.out, model=args.model)
    except NluReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.table(thresholds))
    print()
    print(report.confusions_text())
    threshold = fallback_threshold()
    if threshold is not None:
        print(report.low_confidence_text(threshold))
    if report.confusion_matrix is not None:
        print(f"\nConfusion matrix: {report.confusion_matrix}")
    problems = report.failures(thresholds)
    if problems:
        print("\nNLU quality gate FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Improve the training examples in data/nlu/ (never copy tests/nlu/ into them), "
            "then `make train`.",
            file=sys.stderr,
        )
        return 1
    print("\nNLU quality gate passed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
