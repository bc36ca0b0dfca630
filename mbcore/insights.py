"""Looks inside a trained model that the pages show: gradient sizes, weights.

Called in the training worker (it needs TensorFlow), so the results travel
back to the server as plain NumPy arrays and floats.
"""
from __future__ import annotations

import numpy as np


def _batch(arrays: dict, n: int) -> dict:
    return {k: np.asarray(v[:n]) for k, v in arrays.items()}


def gradient_sizes(model, recipe, x: dict, y: dict, n: int = 256) -> dict[str, float]:
    """Mean |∂loss/∂kernel| of every layer with a kernel, input side first.

    The weighted training loss on the first n samples, as the optimizer sees it.
    Tiny values near the input are the vanishing gradient of a deep plain net.
    """
    import keras
    import tensorflow as tf

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


# What a lesson's page may ask the worker to measure (`Lesson.insights`).
# Only what a page shows is measured: an eager gradient pass through
# aux_output's LSTM took ~300 MB of a worker's peak memory for nothing.
INSIGHTS = {
    "gradients": "gradient size per layer before and after training",
    "weights": "the kernel of every Dense layer after training",
}


class Live:
    """The worker's companion to one training: the insights its lesson asks
    for, and now-and-then predictions for a page's live fit plot.

    Throttled, and only for small outputs (the regression lessons' curves), to
    keep progress events light.
    """

    def __init__(self, settings, every_seconds: float = 0.4, max_values: int = 5000):
        from mbcore.lessons import lesson_of
        from mbcore.recipe import recipe_for
        from mbcore.tasks import make_data
        self.wanted = set(lesson_of(settings).insights)
        unknown = self.wanted - set(INSIGHTS)
        if unknown:
            raise ValueError(f"unknown insights {sorted(unknown)}: use {', '.join(INSIGHTS)}")
        self.recipe, self.data = recipe_for(settings), make_data(settings)
        self.trainer, self.every, self.max_values, self.last = None, every_seconds, max_values, 0.0
        self.start: dict = {}

    def attach(self, trainer) -> None:
        """Called with the trainer before it fits: measure the untrained gradients."""
        self.trainer = trainer
        if trainer.epoch == 0 and "gradients" in self.wanted:
            self.start = gradient_sizes(trainer.model, self.recipe, self.data.x_train,
                                        self.data.y_train)

    def extra(self) -> dict:
        """Fields to add to a progress event: the validation predictions, throttled."""
        import time
        tr = self.trainer
        if tr is None or time.monotonic() - self.last < self.every:
            return {}
        if tr.n_val * sum(int(o.shape[-1]) for o in tr.model.outputs) > self.max_values:
            return {}
        self.last = time.monotonic()
        return {"predictions": {k: v.tolist() for k, v in tr.predict().items()}}

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
