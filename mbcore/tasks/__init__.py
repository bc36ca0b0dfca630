"""Seeded toy data for the lessons. One signature for all: task(settings) -> Dataset.

Each task is registered once here; a lesson names its task by id. Arrays are
keyed by the model's input and output layer names, so the trainer, the plots
and the exported code never have to know which lesson they serve.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Dataset:
    x_train: dict
    y_train: dict
    x_val: dict
    y_val: dict
    val_name: str = "validation"      # or "test"
    info: dict = field(default_factory=dict)   # extras for plots and tables

    @property
    def n_train(self) -> int:
        return len(next(iter(self.x_train.values())))


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype="float32")[labels]


def _registry():
    from mbcore.tasks import curves, headlines, pairs, random_mlp, shapes
    return {
        "pairs": pairs.make,
        "curves": curves.make_two_curves,
        "sine": curves.make_sine,
        "headlines": headlines.make,
        "random_mlp": random_mlp.make,
        "shapes": shapes.make,
    }


TASKS = None


def task_names() -> tuple[str, ...]:
    return tuple(_tasks())


def _tasks():
    global TASKS
    if TASKS is None:
        TASKS = _registry()
    return TASKS


def make_data(settings) -> Dataset:
    """The lesson's data for these settings; the same seed gives the same bits."""
    from mbcore.lessons import lesson_of
    return _tasks()[lesson_of(settings).task](settings)
