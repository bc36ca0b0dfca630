"""One lesson, resolved once for one set of settings: what every layer below needs.

`Experiment.of(settings)` looks the lesson up and builds its Graph and Recipe
once; the data is made on first use (the server rarely needs it). Pages,
trainer, worker, export and command line take an Experiment instead of looking
the lesson up again at every step.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from mbcore.lessons.lesson import Lesson
from mbcore.lessons.registry import lesson_of
from mbcore.network.graph import Graph
from mbcore.recipe import Recipe
from mbcore.settings import Settings


@dataclass(frozen=True, eq=False)
class Experiment:
    lesson: Lesson
    settings: Settings
    graph: Graph
    recipe: Recipe

    @classmethod
    def of(cls, settings: Settings) -> "Experiment":
        """Resolve settings; a SettingsError (e.g. a merge that does not fit) says why not."""
        lesson = lesson_of(settings)
        return cls(lesson, settings, lesson.architecture(settings), lesson.recipe(settings))

    @cached_property
    def data(self):
        """The lesson's seeded data (a tasks.Dataset), made once per Experiment."""
        return self.lesson.task(self.settings)

    @property
    def id(self) -> str:
        return self.lesson.id
