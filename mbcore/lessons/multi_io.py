"""multi_io — two inputs, two outputs (tutorial 002, first half).

Input x and input x² each get a stack of Dense layers; the stacks are merged
and each output (sin 2πx and exp x) gets its own Dense(1), optionally after a
few Dense layers of its own. One MSE per output, weighted.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, TRAINING, Settings, option
from mbcore.tasks import curves


@dataclass(frozen=True)
class MultiIO(Settings):
    lesson_id = "multi_io"
    left_depth: int = option(6, "x branch: layers", lo=1, hi=20)
    left_width: int = option(10, "x branch: width", lo=1, hi=128)
    right_depth: int = option(6, "x² branch: layers", lo=1, hi=20)
    right_width: int = option(10, "x² branch: width", lo=1, hi=128)
    merge: str = merge_opt()
    head_depth: int = option(0, "Layers per output after the merge", lo=0, hi=10)
    sin_weight: float = option(1.0, "Loss weight: sin output", lo=0.0, hi=10.0, step=0.1,
                               group=TRAINING)
    exp_weight: float = option(1.0, "Loss weight: exp output", lo=0.0, hi=10.0, step=0.1,
                               group=TRAINING)
    same_input: bool = option(False, "Feed x to both branches", group=DATA,
                              help="Compare with the tutorial's x and x² inputs.")
    n_train: int = samples_opt(1000)
    n_val: int = samples_opt(100, lo=10, hi=1000, label="Validation points")
    seed: int = seed_opt(7)
    epochs: int = epochs_opt(300)
    batch_size: int = batch_opt(32)
    optimizer: str = optimizer_opt("rmsprop")
    learning_rate: float = lr_opt(0.001)


def architecture(s: MultiIO) -> Graph:
    g = Graph()
    left = g.stack(g.input("x_input", (1,)), "x", [s.left_width] * s.left_depth)
    right = g.stack(g.input("x2_input", (1,)), "x2", [s.right_width] * s.right_depth)
    merged = g.merge(s.merge, [left, right])
    width = max(s.left_width, s.right_width)
    for name in ("sin", "exp"):
        g.output(g.stack(merged, f"{name}_head", [width] * s.head_depth), f"{name}_output")
    return g


def recipe(s: MultiIO):
    outs = ("sin_output", "exp_output")
    return simple_recipe(s, {o: "mse" for o in outs}, {o: ("mse",) for o in outs},
                         {"sin_output": s.sin_weight, "exp_output": s.exp_weight})


LESSON = Lesson(
    id="multi_io", title="Two inputs, two outputs",
    blurb="x and x² in, sin(2πx) and exp(x) out: one network, two losses, two loss weights.",
    source="002", settings_cls=MultiIO, task=curves.make_two_curves, kind="regression",
    architecture=architecture, recipe=recipe,
    claims=(
        Claim("both_fit", "With the tutorial's settings both outputs fit: total validation "
              "MSE below 0.01.", Side("tutorial", "val_loss"), "<", 0.01),
        Claim("exp_off_unlearned", "With the exp output's loss weight at 0, its validation "
              "MSE ends at least 0.1 above the tutorial's: nothing trains that head.",
              Side("exp weight 0", "val_exp_output_mse", {"exp_weight": 0.0}), ">", 0.1,
              versus=Side("tutorial", "val_exp_output_mse")),
    ),
    presets={
        "tutorial": {},
        "x to both branches": {"same_input": True},
        "sin weighted 10x": {"sin_weight": 10.0},
        "exp switched off": {"exp_weight": 0.0},
        "add instead of concatenate": {"merge": "add"},
    })
