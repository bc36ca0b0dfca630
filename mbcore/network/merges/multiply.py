"""Multiply: multiplies matching features, so one branch can gate the other."""
from mbcore.network.merges.base import Elementwise


class Multiply(Elementwise):
    name, label, keras_class = "multiply", "Multiply", "Multiply"
    idea = "multiplies matching features, so one branch can gate the other"
    keras1 = "mul"
