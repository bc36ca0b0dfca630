"""Average: averages matching features; like add, scaled down."""
from mbcore.network.merges.base import Elementwise


class Average(Elementwise):
    name, label, keras_class = "average", "Average", "Average"
    idea = "averages matching features; like add, scaled down"
    keras1 = "ave"
