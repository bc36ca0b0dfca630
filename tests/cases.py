"""Per-lesson test parameters, in one table: adding a lesson means one row here.

Each test module reads the column it needs; a test that covers every lesson
asserts that every registered lesson has a row.
"""
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    # settings for a quick training through the page in AppTest (well under 30 s)
    quick: dict
    # an architecture control and a value that changes the parameter count
    arch_change: tuple | None
    # charts a finished single training shows: loss (+ metrics) + the lesson's own
    charts_after_training: int | None
    # (settings changes, epochs, factor): the training loss must fall below factor x start
    learns: tuple
    # the browser test's training (widget label -> value): a few seconds, yet visibly
    # growing (the first ten reports are paced, so even ten epochs show several states)
    browser_train: dict = field(default_factory=lambda: {"Epochs": 20})
    # A/B compare: a setting to change between A and B, its value, the fit-plot keys
    ab_change: tuple | None = None


MULTI = dict(n_train=200, n_val=50)

CASES = {
    "two_branches": Case(
        quick={"epochs": 3, "features": 64, "n_samples": 300},
        arch_change=("left_units", 64), charts_after_training=3,
        learns=({"data": "learnable", "features": 64, "n_samples": 300}, 4, 0.9),
        browser_train={"Epochs": 30}, ab_change=("merge", "add", ["confusion"])),
    "merge_modes": Case(
        quick={"epochs": 2, "features": 16, "n_samples": 200},
        arch_change=("merge", "dot"), charts_after_training=3,
        learns=({"features": 32, "n_samples": 300, "learning_rate": 0.01}, 4, 0.8),
        browser_train={"Epochs": 30},
        ab_change=("merge", "add", ["confusion_class_output"])),
    "multi_io": Case(
        quick={"epochs": 4, "left_depth": 2, "right_depth": 2},
        arch_change=("left_width", 20), charts_after_training=3,
        learns=(dict(MULTI, learning_rate=0.01), 4, 0.5),
        browser_train={"Epochs": 300},
        ab_change=("left_width", 14, ["fit_sin_output", "fit_exp_output"])),
    "aux_output": Case(
        quick={"embed_dim": 8, "seq_len": 10, "vocab": 500, "n_samples": 200, "epochs": 2},
        arch_change=("embed_dim", 16), charts_after_training=4,
        learns=({"vocab": 300, "embed_dim": 8, "seq_len": 10, "n_samples": 300,
                 "learning_rate": 0.01}, 4, 0.6),
        browser_train={"Training samples": 300, "Epochs": 4},
        ab_change=("aux_weight", 0.0, ["confusion_main_output", "confusion_aux_output"])),
    "depth_residual": Case(
        quick={"epochs": 3, "blocks": 3},
        arch_change=("residual", False), charts_after_training=3,
        learns=({"blocks": 4, "n_train": 300, "frequency": 2.0, "learning_rate": 0.01,
                 "batch_size": 32}, 4, 0.5),
        browser_train={"Epochs": 12}),
    "mlp_shapes": Case(
        quick={"epochs": 2},
        arch_change=("units", 32), charts_after_training=4,
        # random labels: only memorising can lower the loss, so the bar is lower
        learns=({"n_train": 300, "dropout": 0.0, "learning_rate": 0.1, "units": 128,
                 "batch_size": 32}, 6, 0.95),
        browser_train={"Epochs": 40},
        ab_change=("units", 32, ["confusion_class_output"])),
    "multimodal": Case(
        quick={"epochs": 1, "n_samples": 200},
        arch_change=("branches", "tag"), charts_after_training=3,
        learns=({"n_samples": 1000, "image_size": 12}, 8, 0.7),
        browser_train={"Epochs": 15},
        ab_change=("branches", "tag", ["confusion_match_output"])),
    # the free-form page has its own AppTests (test_build_your_own.py)
    "build_your_own": Case(quick={}, arch_change=None, charts_after_training=None,
                           learns=({}, 4, 0.5), browser_train={"Epochs": 300}),
}


def page_file(lesson_id: str) -> Path:
    """Where a lesson's page lives: pages/<id>.py, served at /<id>."""
    return ROOT / "pages" / f"{lesson_id}.py"
