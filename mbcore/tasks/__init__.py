"""Seeded toy data for the lessons. One signature for all: task(settings) -> Dataset.

Each task is registered once here; a lesson names its task by id. Arrays are
keyed by the model's input and output layer names, so the trainer, the plots
and the exported code never have to know which lesson they serve.
"""
from __future__ import annotations

from mbcore.tasks import curves, headlines, pairs, playground, random_mlp, shapes
from mbcore.tasks.base import Dataset, one_hot

TASKS = {
    "pairs": pairs.make,
    "curves": curves.make_two_curves,
    "sine": curves.make_sine,
    "headlines": headlines.make,
    "random_mlp": random_mlp.make,
    "shapes": shapes.make,
    "playground": playground.make,
}


def task_of(settings):
    """The generator function a lesson's settings call for."""
    from mbcore.lessons import lesson_of
    return TASKS[lesson_of(settings).task]


def make_data(settings) -> Dataset:
    """The lesson's data for these settings; the same seed gives the same bits."""
    return task_of(settings)(settings)


__all__ = ["TASKS", "Dataset", "make_data", "one_hot", "task_of"]
