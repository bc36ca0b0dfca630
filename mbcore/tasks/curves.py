"""Regression on [0, 1]: the sin/exp pair of multi_io and the sin(12πx) of depth_residual.

Training points are evenly spaced; validation points are sorted uniform draws
from NumPy's legacy generator, as the tutorial's notebook draws them (random seed 7).
"""
import numpy as np

from mbcore.tasks.base import Dataset


def _grid(settings):
    rng = np.random.RandomState(settings.seed)
    x_train = np.linspace(0.0, 1.0, settings.n_train).astype("float32")
    x_val = np.sort(rng.rand(settings.n_val)).astype("float32")
    return x_train, x_val


def make_two_curves(settings) -> Dataset:
    """Inputs x and x² (or x twice), targets sin(2πx) and exp(x)."""
    x_tr, x_va = _grid(settings)

    def inputs(x):
        second = x if settings.same_input else x * x
        return {"x_input": x[:, None], "x2_input": second[:, None]}

    def targets(x):
        return {"sin_output": np.sin(2 * np.pi * x)[:, None].astype("float32"),
                "exp_output": np.exp(x)[:, None].astype("float32")}

    return Dataset(inputs(x_tr), targets(x_tr), inputs(x_va), targets(x_va),
                   info={"x_train": x_tr, "x_val": x_va})


def make_sine(settings) -> Dataset:
    """y = sin(k·π·x), k = settings.frequency (12 in the tutorial)."""
    x_tr, x_va = _grid(settings)

    def target(x):
        return {"y_output": np.sin(settings.frequency * np.pi * x)[:, None].astype("float32")}

    return Dataset({"x_input": x_tr[:, None]}, target(x_tr), {"x_input": x_va[:, None]},
                   target(x_va), info={"x_train": x_tr, "x_val": x_va})
