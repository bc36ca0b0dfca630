"""The Lesson record: everything one lesson declares, in one place.

A lesson names its settings class, its data generator, its network and its
training recipe directly (functions, not ids looked up in other tables), so
that one file under mbcore/lessons/ holds the whole lesson.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from mbcore.settings import SettingsError

# The preset holding the source tutorial's own sizes, in a lesson whose defaults
# are a smaller classroom size (see Lesson.full_size_seconds).
FULL_SIZE = "tutorial (full size)"

# What a lesson's page may ask the worker to measure (`Lesson.insights`).
# Only what a page shows is measured: an eager gradient pass through
# aux_output's LSTM took ~300 MB of a worker's peak memory for nothing.
INSIGHTS = {
    "gradients": "gradient size per layer before and after training",
    "weights": "the kernel of every Dense layer after training",
}


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    blurb: str                  # one sentence for the landing page card
    source: str                 # the source tutorial it comes from ("000".."004"; "" for none)
    settings_cls: type
    task: Callable              # settings -> tasks.Dataset (seeded toy data)
    kind: str                   # "regression" or "classification"
    architecture: Callable      # settings -> network.Graph
    recipe: Callable            # settings -> recipe.Recipe
    # Named starting points, the tutorial's configuration first: name -> changes
    # from the defaults. Pages offer them, links address them (?preset=name).
    presets: dict = field(default_factory=dict)
    # settings -> the same model in the Keras 1/2 API the tutorial used, for lessons
    # whose tutorial relies on calls Keras 3 removed or changed (None otherwise).
    keras1: Callable | None = None
    # {field: value} -> the names of the fields that matter for these values
    # (e.g. build_your_own with two inputs ignores input_3 and input_4). Pages
    # tuck the others away but keep their values; None means every field counts.
    active: Callable | None = None
    # What the page shows from inside the trained model, names from
    # INSIGHTS above; the worker measures only these.
    insights: tuple = ()
    # True when a training needs about two workers' share of memory: the
    # pool then runs it with no other training beside it.
    runs_alone: bool = False
    # What the lesson's text says about outcomes, as claims.Claim records that
    # the `claims` command checks over seeds and the page shows with their status.
    claims: tuple = ()
    # For a lesson whose defaults are a classroom size smaller than the source
    # tutorial's (which then is the FULL_SIZE preset): settings -> the expected
    # seconds of their training on a quiet 2-core machine, None at classroom
    # sizes. The page shows it before Train, with a button back to classroom size.
    full_size_seconds: Callable | None = None

    def __post_init__(self):
        unknown = set(self.insights) - set(INSIGHTS)
        if unknown:
            raise ValueError(f"{self.id}: unknown insights {sorted(unknown)}; "
                             f"use {', '.join(INSIGHTS)}")
        if self.full_size_seconds is not None and FULL_SIZE not in self.presets:
            raise ValueError(f"{self.id}: full_size_seconds needs a {FULL_SIZE!r} preset")

    def active_fields(self, values: dict) -> set:
        names = {f for f in self.settings_cls.__dataclass_fields__}
        return names if self.active is None else set(self.active(values)) & names

    def preset(self, name: str):
        """The settings of a named preset; unknown names are a SettingsError."""
        if name not in self.presets:
            raise SettingsError(f"unknown preset {name!r} for {self.id}: use one of "
                                f"{', '.join(self.presets)}")
        return self.settings_cls(**self.presets[name])
