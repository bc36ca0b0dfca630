"""Minimum: keeps, feature by feature, the smallest value over all branches."""
from mbcore.network.merges.base import Elementwise


class Minimum(Elementwise):
    name, label, keras_class = "minimum", "Minimum", "Minimum"
    idea = "keeps, feature by feature, the smallest value over all branches"
    keras1 = ""
