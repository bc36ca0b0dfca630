"""How a lesson trains: optimizer, one loss per output, loss weights, metrics.

Kept as data so the trainer, the benchmark and the code export all read the
same recipe. Keras 3 wants one loss per output (a single loss string is no
longer spread over several weighted outputs), so losses are always a dict.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    extra: dict = field(default_factory=dict)


def recipe_for(settings) -> Recipe:
    """The training recipe a lesson derives from its settings."""
    from mbcore.lessons import lesson_of
    return lesson_of(settings).recipe(settings)


def simple_recipe(settings, losses: dict, metrics: dict, loss_weights: dict | None = None,
                  **extra) -> Recipe:
    """A recipe from the common training fields every settings class has."""
    return Recipe(optimizer=settings.optimizer, learning_rate=float(settings.learning_rate),
                  losses=losses, loss_weights=loss_weights or {k: 1.0 for k in losses},
                  metrics=metrics, epochs=int(settings.epochs),
                  batch_size=int(settings.batch_size), seed=int(settings.seed), **extra)


def learning_rate(recipe: Recipe):
    """A constant rate, or the schedule that replaces the removed `decay=` argument."""
    if not recipe.decay:
        return recipe.learning_rate
    import keras
    return keras.optimizers.schedules.InverseTimeDecay(
        recipe.learning_rate, decay_steps=1, decay_rate=recipe.decay)


def make_optimizer(recipe: Recipe):
    import keras
    lr = learning_rate(recipe)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=recipe.momentum,
                                    nesterov=recipe.nesterov)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    return keras.optimizers.RMSprop(learning_rate=lr)
