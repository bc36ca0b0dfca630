"""Dot: one number per sample, the inner product of two equal-width vectors."""
from mbcore.network.merges.base import MergeError, MergeMode, describe


class Dot(MergeMode):
    name, label, keras_class = "dot", "Dot product", "Dot"
    idea = "squeezes the two branches into one similarity score per sample"
    keras1 = "dot"
    min_inputs = max_inputs = 2
    normalize = False

    def keras_kwargs(self):
        return {"axes": 1, "normalize": self.normalize}

    def rule(self, shapes):
        if any(len(s) != 1 for s in shapes) or shapes[0] != shapes[1]:
            raise MergeError(f"{self.name} needs two flat branches of equal width; "
                             f"got {describe(shapes)}")
        return (1,)
