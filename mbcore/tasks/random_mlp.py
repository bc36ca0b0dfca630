"""The Keras guide's dummy data: random features, random one-hot classes.

There is nothing to learn here; the lesson is about shapes, and the test
accuracy near 1/classes says so honestly.
"""
import numpy as np

from mbcore.tasks.base import Dataset, one_hot


def make(settings) -> Dataset:
    rng = np.random.default_rng(settings.seed)
    f, c = settings.features, settings.classes

    def draw(n):
        return ({"features": rng.random((n, f), dtype=np.float32)},
                {"class_output": one_hot(rng.integers(0, c, n), c)})

    (x_tr, y_tr), (x_te, y_te) = draw(settings.n_train), draw(settings.n_test)
    return Dataset(x_tr, y_tr, x_te, y_te, val_name="test")
