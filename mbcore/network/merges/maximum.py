"""Maximum: keeps, feature by feature, the largest value over all branches."""
from mbcore.network.merges.base import Elementwise


class Maximum(Elementwise):
    name, label, keras_class = "maximum", "Maximum", "Maximum"
    idea = "keeps, feature by feature, the largest value over all branches"
    keras1 = "max"
