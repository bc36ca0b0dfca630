"""Two inputs, ten classes: the tutorial's pure noise, or a variant that needs both inputs.

Learnable variant: the class is a (row, column) pair on a 5 x 2 grid. The
left input hides a faint pattern naming the row, the right one a pattern
naming the column, both buried in the tutorial's uniform noise. The left branch
alone can reach at best 50% (it knows the row), the right alone 20%; only a
merged model can name the class.
"""
import numpy as np

from mbcore.tasks.base import Dataset, one_hot

ROWS, COLS = 5, 2
CLASSES = ROWS * COLS
SIGNAL = 0.12      # amplitude of the hidden pattern against noise in [0, 1]


def make(settings) -> Dataset:
    rng = np.random.default_rng(settings.seed)
    f = settings.features
    row_patterns = rng.choice([-1.0, 1.0], size=(ROWS, f)).astype("float32")
    col_patterns = rng.choice([-1.0, 1.0], size=(COLS, f)).astype("float32")
    learnable = settings.data == "learnable"

    def draw(n):
        left = rng.random((n, f), dtype=np.float32)
        right = rng.random((n, f), dtype=np.float32)
        labels = rng.integers(0, CLASSES, n)
        if learnable:
            left += SIGNAL * row_patterns[labels // COLS]
            right += SIGNAL * col_patterns[labels % COLS]
        return {"left_input": left, "right_input": right}, {"class_output": one_hot(labels, CLASSES)}

    (x_tr, y_tr), (x_va, y_va) = draw(settings.n_samples), draw(settings.n_holdout)
    return Dataset(x_tr, y_tr, x_va, y_va, val_name="held-out",
                   info={"chance": 1.0 / CLASSES,
                         # knowing the row leaves COLS classes to guess between, and so on
                         "best_left_only": 1.0 / COLS if learnable else 1.0 / CLASSES,
                         "best_right_only": 1.0 / ROWS if learnable else 1.0 / CLASSES})
