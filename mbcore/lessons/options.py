"""Settings fields that several lessons share: training knobs, merge, random seed."""
from __future__ import annotations

from mbcore.network.merges import MERGE_NAMES
from mbcore.recipe import OPTIMIZERS
from mbcore.settings import DATA, TRAINING, option


def merge_opt(default="concatenate", choices=MERGE_NAMES, label="Merge mode"):
    return option(default, label, choices=tuple(choices),
                  help="How the branches are joined. Shape rules apply: see the lesson text.")


def seed_opt(default=0):
    return option(default, "Random seed", lo=0, hi=2**31 - 1, group=DATA,
                  help="The same seed gives the same data, weights and curves.")


def epochs_opt(default, hi=1000):
    return option(default, "Epochs", lo=1, hi=hi, group=TRAINING)


def batch_opt(default=32):
    # 256 at most: a batch of 1024 added hundreds of MB per worker (conv, LSTM)
    return option(default, "Batch size", lo=1, hi=256, group=TRAINING)


def optimizer_opt(default):
    return option(default, "Optimizer", choices=OPTIMIZERS, group=TRAINING)


def lr_opt(default):
    return option(default, "Learning rate", lo=1e-5, hi=10.0, group=TRAINING, log=True)


def samples_opt(default, lo=50, hi=5000, label="Training samples"):
    return option(default, label, lo=lo, hi=hi, step=50, group=DATA)
