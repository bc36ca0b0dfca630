"""two_branches — two inputs, one classifier (tutorial 000).

Each input has its own Dense(32) with no activation; the two are merged and a
softmax layer names one of ten classes. With concatenation: 50,890 parameters.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.network.merges import get_merge
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, Settings, option
from mbcore.tasks import pairs

ACTIVATIONS = ("linear", "relu", "tanh")


@dataclass(frozen=True)
class TwoBranches(Settings):
    lesson_id = "two_branches"
    merge: str = merge_opt()
    left_units: int = option(32, "Left branch width", lo=1, hi=512)
    right_units: int = option(32, "Right branch width", lo=1, hi=512)
    activation: str = option("linear", "Branch activation", choices=ACTIVATIONS,
                             help="The tutorial's branches have none (linear).")
    data: str = option("noise", "Data", choices=("noise", "learnable"), group=DATA,
                       help="noise: the tutorial's random inputs and labels. learnable: the "
                            "class needs both inputs.")
    features: int = option(784, "Features per input", lo=2, hi=1024, group=DATA)
    n_samples: int = samples_opt(1000)
    n_holdout: int = samples_opt(200, hi=2000, label="Held-out samples")
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


def keras1_code(s) -> str:
    """The tutorial's Sequential + Merge spelling (Merge left Keras in 2.2)."""
    mode = get_merge(s.merge).keras1 or f"<no Keras 1 mode: {s.merge}>"
    act = "" if s.activation == "linear" else f", activation={s.activation!r}"
    return f"""# Keras 1 (Merge: deprecated in Keras 2.0, removed in 2.2; nb_epoch: epochs since 2.0)
from keras.models import Sequential
from keras.layers import Dense, Merge

left_branch = Sequential()
left_branch.add(Dense({s.left_units}, input_dim={s.features}{act}))
right_branch = Sequential()
right_branch.add(Dense({s.right_units}, input_dim={s.features}{act}))

merged = Merge([left_branch, right_branch], mode={mode!r})
model = Sequential()
model.add(merged)
model.add(Dense(10, activation='softmax'))
model.compile(optimizer={s.optimizer!r}, loss='categorical_crossentropy', metrics=['accuracy'])
model.fit([data_1, data_2], labels, nb_epoch={s.epochs}, batch_size={s.batch_size})
"""


def classifier_recipe(s):
    return simple_recipe(s, {"class_output": "categorical_crossentropy"},
                         {"class_output": ("accuracy",)})


LESSON = Lesson(
    id="two_branches", title="Two inputs, one classifier",
    blurb="Two branches, each reading its own input, merged into one softmax classifier.",
    source="000", settings_cls=TwoBranches, task=pairs.make, kind="classification",
    architecture=two_branch_graph, recipe=classifier_recipe, keras1=keras1_code,
    claims=(
        Claim("noise_at_chance", "On the tutorial's noise, held-out accuracy stays near the "
              "10 % of chance (below 20 %).", Side("noise", "val_accuracy"), "<", 0.2),
        Claim("noise_memorised", "On noise, training accuracy ends at least 20 points above "
              "held-out accuracy: the network memorises.",
              Side("noise, training", "accuracy"), ">", 0.2,
              versus=Side("noise, held-out", "val_accuracy")),
        Claim("learnable_learns", "On learnable data, held-out accuracy ends above 50 % "
              "(five times chance).",
              Side("learnable", "val_accuracy", {"data": "learnable"}), ">", 0.5),
    ),
    presets={
        "tutorial": {},
        "learnable data": {"data": "learnable"},
        "learnable, add": {"data": "learnable", "merge": "add"},
        "learnable, dot": {"data": "learnable", "merge": "dot"},
    })
