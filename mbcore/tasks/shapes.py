"""Small pictures of shapes with a tag word: does the tag name the shape?

Half the tags are right, half name another shape, so the picture alone and
the tag alone each say nothing about the label (chance is 50%); only a model
that merges both pathways can answer.
"""
import numpy as np

from mbcore.tasks.base import Dataset

SHAPES = ("circle", "square", "triangle", "cross")


def _masks(size: int, cx, cy, r):
    """Boolean masks (n, size, size) of each shape at the given centres and radii."""
    ys, xs = np.mgrid[0:size, 0:size].astype("float32")
    dx, dy = xs[None] - cx[:, None, None], ys[None] - cy[:, None, None]
    r = r[:, None, None]
    bar = r / 3
    return {
        "circle": dx ** 2 + dy ** 2 <= r ** 2,
        "square": (np.abs(dx) <= r * 0.8) & (np.abs(dy) <= r * 0.8),
        "triangle": (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) / 2),
        "cross": ((np.abs(dx) <= bar) & (np.abs(dy) <= r)) | ((np.abs(dy) <= bar) & (np.abs(dx) <= r)),
    }


def draw_images(rng, shapes_idx, size: int, noise: float = 0.15) -> np.ndarray:
    n = len(shapes_idx)
    r = rng.uniform(size * 0.22, size * 0.34, n).astype("float32")
    cx = rng.uniform(r, size - 1 - r).astype("float32")
    cy = rng.uniform(r, size - 1 - r).astype("float32")
    masks = _masks(size, cx, cy, r)
    stacked = np.stack([masks[s] for s in SHAPES])            # (shapes, n, size, size)
    images = stacked[shapes_idx, np.arange(n)].astype("float32")
    images += noise * rng.normal(size=images.shape).astype("float32")
    return images[..., None]


def make(settings) -> Dataset:
    rng = np.random.default_rng(settings.seed)
    k = len(SHAPES)

    def draw(n):
        shape = rng.integers(0, k, n)
        match = rng.random(n) < 0.5
        other = (shape + rng.integers(1, k, n)) % k        # any shape but the true one
        tag = np.where(match, shape, other).astype("int32")
        x = {"image_input": draw_images(rng, shape, settings.image_size),
             "tag_input": tag[:, None]}
        return x, {"match_output": match.astype("float32")[:, None]}, shape

    x_tr, y_tr, s_tr = draw(settings.n_samples)
    x_va, y_va, s_va = draw(max(200, settings.n_samples // 4))
    return Dataset(x_tr, y_tr, x_va, y_va, info={
        "shape_names": SHAPES, "train_shapes": s_tr, "val_shapes": s_va})
