"""Subtract: the first branch minus the second; defined for exactly two."""
from mbcore.network.merges.base import Elementwise


class Subtract(Elementwise):
    name, label, keras_class = "subtract", "Subtract", "Subtract"
    idea = "the difference of two branches: a learned comparison"
    min_inputs = max_inputs = 2
