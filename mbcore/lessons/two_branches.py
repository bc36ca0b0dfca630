"""two_branches — two inputs, one classifier (seed 000).

Each input has its own Dense(32) with no activation; the two are merged and a
softmax layer names one of ten classes. With concatenation: 50,890 parameters.
"""
from dataclasses import dataclass

from mbcore.graph import Graph
from mbcore.lessons.common import (Lesson, batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, Settings, option

ACTIVATIONS = ("linear", "relu", "tanh")


@dataclass(frozen=True)
class TwoBranches(Settings):
    lesson_id = "two_branches"
    merge: str = merge_opt()
    left_units: int = option(32, "Left branch width", lo=1, hi=512)
    right_units: int = option(32, "Right branch width", lo=1, hi=512)
    activation: str = option("linear", "Branch activation", choices=ACTIVATIONS,
                             help="The seed's branches have none (linear).")
    data: str = option("noise", "Data", choices=("noise", "learnable"), group=DATA,
                       help="noise: the seed's random inputs and labels. learnable: the "
                            "class needs both inputs.")
    features: int = option(784, "Features per input", lo=2, hi=2048, group=DATA)
    n_samples: int = samples_opt(1000)
    n_holdout: int = samples_opt(200, label="Held-out samples")
    seed: int = seed_opt(0)
    epochs: int = epochs_opt(10, hi=200)
    batch_size: int = batch_opt(32)
    optimizer: str = optimizer_opt("rmsprop")
    learning_rate: float = lr_opt(0.001)


def two_branch_graph(s) -> Graph:
    """left/right inputs -> one Dense each -> merge -> softmax over ten classes."""
    g = Graph()
    act = None if s.activation == "linear" else s.activation
    left = g.stack(g.input("left_input", (s.features,)), "left", [s.left_units], act)
    right = g.stack(g.input("right_input", (s.features,)), "right", [s.right_units], act)
    g.output(g.merge(s.merge, [left, right]), "class_output", 10, "softmax")
    return g


def classifier_recipe(s):
    return simple_recipe(s, {"class_output": "categorical_crossentropy"},
                         {"class_output": ("accuracy",)})


LESSON = Lesson(
    id="two_branches", title="Two inputs, one classifier",
    blurb="Two branches, each reading its own input, merged into one softmax classifier.",
    seed_doc="000", settings_cls=TwoBranches, task="pairs", kind="classification",
    architecture=two_branch_graph, recipe=classifier_recipe,
    presets={
        "seed": {},
        "learnable data": {"data": "learnable"},
        "learnable, add": {"data": "learnable", "merge": "add"},
        "learnable, dot": {"data": "learnable", "merge": "dot"},
    })
