import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Workers started here train unpaced (pacing is for a watching page; the browser
# tests' servers, started with a clean environment, keep it).
os.environ.setdefault("MBCORE_PACE_SECONDS", "0")
# Pages opened in-process ask no warm-ups (engine.warm_up): dozens of AppTests would
# each have the workers trace a network nobody trains. test_warm_up.py tests them,
# and the browser tests' servers have them on, as `make run` does.
os.environ.setdefault("MBCORE_WARM_UP", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))      # loadtest, membench: imported by their tests


import pytest  # noqa: E402  (after the environment above is set)


@pytest.fixture
def end_workers():
    """For a test that trains through a page: end the shared runner's worker
    processes with the test, so none is still starting when pytest exits."""
    yield
    from mbcore.engine import runner as jobs
    with jobs._shared_lock:
        runner, jobs._shared = jobs._shared, None
    if runner is not None:
        runner.shutdown()
