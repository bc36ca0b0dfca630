"""Concatenate: lay the branches side by side; widths add up."""
from mbcore.network.merges.base import MergeError, MergeMode, describe


class Concatenate(MergeMode):
    name, label, keras_class = "concatenate", "Concatenate", "Concatenate"
    idea = "keeps every feature of every branch; the next layer sees the sum of the widths"
    keras1 = "concat"

    def rule(self, shapes):
        if len({tuple(s[:-1]) for s in shapes}) > 1:
            raise MergeError("concatenate needs branches that agree on every axis but the "
                             f"last; got {describe(shapes)}")
        return tuple(shapes[0][:-1]) + (sum(s[-1] for s in shapes),)
