"""The load test end to end, small: three sessions of the multi_io page asking for the
same training cause exactly one, and all three see its result."""
import json
import subprocess
import sys

from conftest import ROOT


def test_three_identical_sessions_share_one_training():
    proc = subprocess.run([sys.executable, "-m", "mbcore", "loadtest", "--sessions", "3",
                           "--distinct", "1", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, report
    assert report["sessions"] == 3 and report["finished"] == 3 and report["errors"] == 0
    assert report["trainings_run"] == 1
    assert report["peak_rss_mb"] > 0 and report["max_wait_s"] > 0
