"""The container every task returns, in a module of its own so that exported
scripts can carry it along (it needs nothing but NumPy and the standard library)."""
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
