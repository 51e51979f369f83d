"""The Android app's core compiled and its JUnit suite run once per session."""
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "android_app" / "scripts" / "test_core.sh"


@pytest.fixture(scope="session")
def classpath() -> str:
    """Compile the core and run its JUnit tests (fetching JUnit and org.json from Debian once)."""
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OK (" in done.stdout, done.stdout[-3000:]
    return done.stdout.strip().splitlines()[-1].removeprefix("classpath: ")
