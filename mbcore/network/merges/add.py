"""Add: sums matching features; the width stays the same."""
from mbcore.network.merges.base import Elementwise


class Add(Elementwise):
    name, label, keras_class = "add", "Add", "Add"
    idea = "sums matching features; the width stays the same"
    keras1 = "sum"
