"""How a lesson trains: optimizer, one loss per output, loss weights, metrics.

Kept as data so the trainer, the benchmark and the code export all read the
same recipe (training/optimizers.py turns it into a Keras optimizer). Losses
are always a dict, one per output: Keras 3 still spreads one loss string over
several outputs, but not together with a list of loss weights (the aux_output
tutorial's call), so naming each output's loss is the form that always works.
"""
from __future__ import annotations

from dataclasses import dataclass

OPTIMIZERS = ("rmsprop", "adam", "sgd")


@dataclass(frozen=True)
class Recipe:
    optimizer: str
    learning_rate: float
    losses: dict                      # output name -> loss name
    loss_weights: dict                # output name -> float
    metrics: dict                     # output name -> tuple of metric names
    epochs: int
    batch_size: int
    seed: int
    momentum: float = 0.0
    nesterov: bool = False
    decay: float = 0.0                # Keras 1/2 `decay=`: lr / (1 + decay * step)


def simple_recipe(settings, losses: dict, metrics: dict, loss_weights: dict | None = None,
                  **sgd) -> Recipe:
    """A recipe from the common training fields every settings class has."""
    return Recipe(optimizer=settings.optimizer, learning_rate=float(settings.learning_rate),
                  losses=losses, loss_weights=loss_weights or {k: 1.0 for k in losses},
                  metrics=metrics, epochs=int(settings.epochs),
                  batch_size=int(settings.batch_size), seed=int(settings.seed), **sgd)
