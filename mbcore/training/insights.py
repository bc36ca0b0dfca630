"""Looks inside a trained model that the pages show: gradient sizes, weights.

Called in the training worker (it needs TensorFlow), so the results travel
back to the server as plain NumPy arrays and floats.
"""
from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf


def _batch(arrays: dict, n: int) -> dict:
    """n samples spread evenly over the whole set (curve data is sorted by x: the
    first n would all come from its left end)."""
    length = len(next(iter(arrays.values())))
    picks = np.unique(np.linspace(0, length - 1, min(n, length)).round().astype(int))
    return {k: np.asarray(v)[picks] for k, v in arrays.items()}


def gradient_sizes(model, recipe, x: dict, y: dict, n: int = 256) -> dict[str, float]:
    """Mean |∂loss/∂kernel| of every layer with a kernel, input side first.

    The weighted training loss on n samples spread over the training set, as the
    optimizer sees it. Whether the values shrink towards the input (a vanishing
    gradient) is for the chart to show, not assumed here.
    """
    xb, yb = _batch(x, n), _batch(y, n)
    with tf.GradientTape() as tape:
        preds = model(xb, training=False)
        preds = dict(zip(model.output_names, preds if isinstance(preds, (list, tuple)) else [preds]))
        loss = sum(recipe.loss_weights.get(name, 1.0)
                   * keras.ops.mean(keras.losses.get(recipe.losses[name])(yb[name], preds[name]))
                   for name in preds)
    layers = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    grads = tape.gradient(loss, [layer.kernel for layer in layers])
    return {layer.name: float(np.mean(np.abs(g))) if g is not None else 0.0
            for layer, g in zip(layers, grads)}


def dense_weights(model) -> dict[str, np.ndarray]:
    """The kernel of every Dense layer, shape [inputs, units], in model order."""
    return {layer.name: np.asarray(layer.kernel) for layer in model.layers
            if type(layer).__name__ == "Dense"}


class Live:
    """The worker's companion to one training: the insights its lesson asks
    for, and now-and-then predictions for a page's live fit plot.

    Throttled, and only for small outputs (the regression lessons' curves), to
    keep progress events light.
    """

    def __init__(self, exp, every_seconds: float = 0.4, max_values: int = 5000):
        self.wanted = set(exp.lesson.insights)
        self.recipe, self.data = exp.recipe, exp.data
        self.trainer, self.every, self.max_values, self.last = None, every_seconds, max_values, 0.0
        self.start: dict = {}

    def attach(self, trainer) -> None:
        """Called with the trainer before it fits: measure the untrained gradients."""
        self.trainer = trainer
        if trainer.epoch == 0 and "gradients" in self.wanted:
            self.start = gradient_sizes(trainer.model, self.recipe, self.data.x_train,
                                        self.data.y_train)

    def predictions(self) -> dict | None:
        """The validation predictions for a progress event, throttled; None between."""
        tr = self.trainer
        if tr is None or time.monotonic() - self.last < self.every:
            return None
        if tr.n_val * sum(int(o.shape[-1]) for o in tr.model.outputs) > self.max_values:
            return None
        self.last = time.monotonic()
        return tr.predict()

    def finish(self) -> dict:
        """What the pages show after training, beyond curves and predictions."""
        model, found = self.trainer.model, {}
        if "gradients" in self.wanted:
            found["gradients_start"] = self.start
            found["gradients"] = gradient_sizes(model, self.recipe, self.data.x_train,
                                                self.data.y_train)
        if "weights" in self.wanted:
            found["weights"] = dense_weights(model)
        return found
