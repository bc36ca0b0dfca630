"""Minimum: keeps the smaller of each pair of features."""
from mbcore.network.merges.base import Elementwise


class Minimum(Elementwise):
    name, label, keras_class = "minimum", "Minimum", "Minimum"
    idea = "keeps the smaller of each pair of features"
    keras1 = ""
