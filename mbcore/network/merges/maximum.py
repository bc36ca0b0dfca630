"""Maximum: keeps the larger of each pair of features."""
from mbcore.network.merges.base import Elementwise


class Maximum(Elementwise):
    name, label, keras_class = "maximum", "Maximum", "Maximum"
    idea = "keeps the larger of each pair of features"
    keras1 = "max"
