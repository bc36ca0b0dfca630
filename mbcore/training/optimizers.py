"""A Recipe's optimizer as a Keras object (the tutorials' `decay=` as a schedule)."""
from __future__ import annotations

import keras

from mbcore.recipe import Recipe


def learning_rate(recipe: Recipe):
    """A constant rate, or the schedule that replaces Keras 1/2's `decay=` argument
    (Keras 3 accepts `decay=` but ignores it with a warning)."""
    if not recipe.decay:
        return recipe.learning_rate
    return keras.optimizers.schedules.InverseTimeDecay(
        recipe.learning_rate, decay_steps=1, decay_rate=recipe.decay)


def make_optimizer(recipe: Recipe):
    lr = learning_rate(recipe)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=recipe.momentum,
                                    nesterov=recipe.nesterov)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    return keras.optimizers.RMSprop(learning_rate=lr)
