"""Claims: every lesson declares some, the `claims` command checks them end to end,
the shipped file covers them, and a page shows their status."""
import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from mbcore.lessons import LESSONS
from mbcore.lessons.claims import Claim, Side, agreement, load_measured, verdict
from cases import page_file

FIELDS = {"lesson", "claim", "passed", "seeds", "median", "min", "max", "holds"}


def test_every_lesson_declares_at_least_two_claims():
    for lid, lesson in LESSONS.items():
        assert len(lesson.claims) >= 2, lid
        for claim in lesson.claims:     # the changes are real fields with valid values
            for side in claim.sides():
                lesson.settings_cls(**side.changes)


def test_verdict_counts_seeds_and_compares_sides():
    claim = Claim("c", "a below b", Side("a", "val_mse"), "<", -0.1, versus=Side("b", "val_mse"))
    runs = [({"val_mse": [1, 0.05]}, {"val_mse": [0.4]}),
            ({"val_mse": [0.3]}, {"val_mse": [0.35]})]
    row = verdict("x", claim, runs)
    assert (row["passed"], row["seeds"], row["median"], row["versus_median"]) == (1, 2, 0.175,
                                                                                 0.375)
    assert not row["holds"]           # 1 of 2 is below the 4-of-5 rate
    assert "agrees" in agreement(LESSONS["depth_residual"], Claim(
        "d", "t", Side("plain", "val_mse", {"residual": False}), ">", 0.1),
        LESSONS["depth_residual"].settings_cls(residual=False, seed=3), {"val_mse": [0.3]}, None)


def test_claims_command_end_to_end_tiny():
    """One seed, a few epochs: the machinery runs and the JSON has its shape (the
    verdicts themselves need the full run)."""
    proc = subprocess.run([sys.executable, "-m", "mbcore", "claims", "two_branches", "--seeds",
                           "1", "--epochs-scale", "0.1", "--json", "--no-save"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["claim"] for r in rows] == [c.id for c in LESSONS["two_branches"].claims]
    for row in rows:
        assert FIELDS <= set(row) and row["seeds"] == 1 and row["min"] <= row["median"] <= row["max"]


@pytest.mark.parametrize("args", [["nope"], ["two_branches", "--seeds", "0"],
                                  ["build_your_own"], ["mlp_shapes", "--epochs-scale", "-1"],
                                  ["mlp_shapes", "--claim", "nope"], ["--claim", "x"]])
def test_claims_bad_input_is_one_line_exit_2(args):
    proc = subprocess.run([sys.executable, "-m", "mbcore", "claims", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_shipped_file_covers_every_claim_at_five_seeds():
    measured = load_measured()
    for lid, lesson in LESSONS.items():
        for claim in lesson.claims:
            row = measured.get((lid, claim.id))
            assert row is not None, f"{lid}/{claim.id} not measured"
            assert row["seeds"] == 5 and row["epochs_scale"] == 1 and row["text"] == claim.text


def test_page_shows_claim_status():
    at = AppTest.from_file(str(page_file("depth_residual")), default_timeout=60).run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    claim = LESSONS["depth_residual"].claims[0]
    row = load_measured()[("depth_residual", claim.id)]
    assert claim.text in shown
    assert f"in {row['passed']}/5 seeds" in shown
