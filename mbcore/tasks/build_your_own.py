"""Toy data for the build-your-own page: every input and target is a view of one x.

A sample is a point x in [0, 1]. Each input shows a few features of x (its
"feature set"); each output asks for one function of x. Because everything
comes from the same x, any combination of inputs and outputs is learnable to
some degree, and the student can see which inputs help which output.
"""
import numpy as np

from mbcore.tasks.base import Dataset

# feature set name -> columns computed from x (and a noise generator)
FEATURE_SETS = {
    "x": lambda x, rng: [x],
    "x squared": lambda x, rng: [x * x],
    "sin and cos": lambda x, rng: [np.sin(2 * np.pi * x), np.cos(2 * np.pi * x)],
    "powers of x": lambda x, rng: [x, x ** 2, x ** 3, x ** 4],
    "noisy x": lambda x, rng: [x + 0.1 * rng.normal(size=x.shape)],
    "pure noise": lambda x, rng: [rng.random(x.shape), rng.random(x.shape)],
}
# target name -> (function of x, is it a yes/no target?)
TARGETS = {
    "sin(2πx)": (lambda x: np.sin(2 * np.pi * x), False),
    "exp(x)": (lambda x: np.exp(x), False),
    "x³ - x": (lambda x: x ** 3 - x, False),
    "x > 0.5 (yes/no)": (lambda x: (x > 0.5).astype("float64"), True),
}


def feature_width(name: str) -> int:
    return len(FEATURE_SETS[name](np.zeros(1), np.random.default_rng(0)))


def make(settings) -> Dataset:
    rng = np.random.default_rng(settings.seed)
    n_val = max(50, settings.n_samples // 5)

    def draw(n):
        x = np.sort(rng.random(n))
        xs = {f"input_{i}": np.stack(FEATURE_SETS[getattr(settings, f"input_{i}")](x, rng), 1)
              .astype("float32") for i in range(1, settings.inputs + 1)}
        ys = {f"output_{j}": TARGETS[getattr(settings, f"output_{j}_target")][0](x)[:, None].astype("float32")
              for j in range(1, settings.outputs + 1)}
        return xs, ys, x

    x_tr, y_tr, t_tr = draw(settings.n_samples)
    x_va, y_va, t_va = draw(n_val)
    return Dataset(x_tr, y_tr, x_va, y_va, info={"x_train": t_tr, "x_val": t_va})
