"""The Lesson record and the settings every lesson shares (training knobs, merge)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from mbcore.merges import MERGE_NAMES
from mbcore.recipe import OPTIMIZERS
from mbcore.settings import DATA, TRAINING, SettingsError, option


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    blurb: str                  # one sentence for the landing page card
    seed_doc: str               # which source document it comes from
    settings_cls: type
    task: str                   # id in mbcore.tasks
    kind: str                   # "regression" or "classification"
    architecture: Callable      # settings -> Graph
    recipe: Callable            # settings -> Recipe
    # Named starting points, the seed's configuration first: name -> changes
    # from the defaults. Pages offer them, links address them (?preset=name).
    presets: dict = field(default_factory=dict)
    # settings -> the same model in the Keras 1/2 API the seed used, for lessons
    # whose seed relies on calls Keras 3 removed or changed (None otherwise).
    keras1: Callable | None = None
    # {field: value} -> the names of the fields that matter for these values
    # (e.g. build_your_own with two inputs ignores input_3 and input_4). Pages
    # tuck the others away but keep their values; None means every field counts.
    active: Callable | None = None
    # What the page shows from inside the trained model, names from
    # mbcore.insights.INSIGHTS; the worker measures only these.
    insights: tuple = ()
    # True when a training needs about two workers' share of memory: the
    # pool then runs it with no other training beside it.
    runs_alone: bool = False

    def active_fields(self, values: dict) -> set:
        names = {f for f in self.settings_cls.__dataclass_fields__}
        return names if self.active is None else set(self.active(values)) & names

    def preset(self, name: str):
        """The settings of a named preset; unknown names are a SettingsError."""
        if name not in self.presets:
            raise SettingsError(f"unknown preset {name!r} for {self.id}: use one of "
                                f"{', '.join(self.presets)}")
        return self.settings_cls(**self.presets[name])


def merge_opt(default="concatenate", choices=MERGE_NAMES, label="Merge mode"):
    return option(default, label, choices=tuple(choices),
                  help="How the branches are joined. Shape rules apply: see the lesson text.")


def seed_opt(default=0):
    return option(default, "Random seed", lo=0, hi=2**31 - 1, group=DATA,
                  help="The same seed gives the same data, weights and curves.")


def epochs_opt(default, hi=1000):
    return option(default, "Epochs", lo=1, hi=hi, group=TRAINING)


def batch_opt(default=32):
    # 256 at most: a batch of 1024 added hundreds of MB per worker (conv, LSTM)
    return option(default, "Batch size", lo=1, hi=256, group=TRAINING)


def optimizer_opt(default):
    return option(default, "Optimizer", choices=OPTIMIZERS, group=TRAINING)


def lr_opt(default):
    return option(default, "Learning rate", lo=1e-5, hi=10.0, group=TRAINING, log=True)


def samples_opt(default, lo=50, hi=5000, label="Training samples"):
    return option(default, label, lo=lo, hi=hi, step=50, group=DATA)
