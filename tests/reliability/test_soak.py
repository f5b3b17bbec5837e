"""The soak in quick mode (``bench/soak.py --quick``, about 45 s): it must end with "soak: OK"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_soak_loses_nothing_duplicates_nothing_and_never_fails_with_a_5xx() -> None:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "soak.py"), "--quick"], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    report = done.stdout
    assert done.returncode == 0 and "soak: OK" in report, f"{report}\n{done.stderr[-4000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    # the run did exercise the failure modes and the agents got work done
    assert "tenant entries that succeeded: 0" not in report
    for mode in ("slow", "erroring", "malformed", "healthy"):
        assert f"'{mode}'" in report
