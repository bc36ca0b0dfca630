"""merge_modes — why merge, and how the modes differ (tutorial 004).

The same two-branch classifier as two_branches, on data that needs both
inputs, so every merge mode can be trained side by side and compared.
"""
from dataclasses import dataclass

from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.lessons.two_branches import (ACTIVATIONS, classifier_recipe, keras1_code,
                                         two_branch_graph)
from mbcore.settings import DATA, Settings, option
from mbcore.tasks import pairs


@dataclass(frozen=True)
class MergeModes(Settings):
    lesson_id = "merge_modes"
    merge: str = merge_opt()
    left_units: int = option(32, "Left branch width", lo=1, hi=512,
                             help="Make the widths unequal to see which modes refuse.")
    right_units: int = option(32, "Right branch width", lo=1, hi=512)
    activation: str = option("relu", "Branch activation", choices=ACTIVATIONS)
    data: str = option("learnable", "Data", choices=("learnable", "noise"), group=DATA)
    features: int = option(64, "Features per input", lo=2, hi=1024, group=DATA)
    n_samples: int = samples_opt(1000)
    n_holdout: int = samples_opt(300, hi=2000, label="Held-out samples")
    seed: int = seed_opt(0)
    epochs: int = epochs_opt(20, hi=200)
    batch_size: int = batch_opt(32)
    optimizer: str = optimizer_opt("rmsprop")
    learning_rate: float = lr_opt(0.001)


LESSON = Lesson(
    id="merge_modes", title="Merge modes compared",
    blurb="Concatenate, add, multiply, dot and the rest, trained side by side on one task.",
    source="004", settings_cls=MergeModes, task=pairs.make, kind="classification",
    architecture=two_branch_graph, recipe=classifier_recipe, keras1=keras1_code,
    claims=(
        Claim("concatenate_learns", "With concatenation, held-out accuracy ends above 80 %.",
              Side("concatenate", "val_accuracy"), ">", 0.8),
        Claim("dot_far_below", "dot, one number per sample, ends at least 30 points below "
              "concatenation.", Side("dot", "val_accuracy", {"merge": "dot"}), "<", -0.3,
              versus=Side("concatenate", "val_accuracy")),
        Claim("cosine_far_below", "cosine, one number per sample too, ends at least 30 "
              "points below concatenation.",
              Side("cosine", "val_accuracy", {"merge": "cosine"}), "<", -0.3,
              versus=Side("concatenate", "val_accuracy")),
        Claim("noise_at_chance", "On pure noise, held-out accuracy stays below 20 %.",
              Side("noise", "val_accuracy", {"data": "noise"}), "<", 0.2),
    ),
    presets={
        "equal widths": {},
        "unequal widths": {"left_units": 32, "right_units": 16},
        "pure noise": {"data": "noise"},
    })
