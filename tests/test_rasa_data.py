"""The content team's files: `rasa data validate` must pass."""

from __future__ import annotations

import os
import subprocess

from aisle.settings import PROJECT_ROOT
from aisle.stack import DEFAULT_RASA_BIN


def test_rasa_data_validate_passes() -> None:
    assert DEFAULT_RASA_BIN.exists(), "Rasa is not installed: run `make install`"
    result = subprocess.run(
        [str(DEFAULT_RASA_BIN), "data", "validate"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
