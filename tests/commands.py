"""Run the `tracehub` command as a person would: a new process, a wide terminal, a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tracehub(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """`tracehub ARGS` with this process's environment plus `env`; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "tracehub", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=timeout,
    )
