"""What every merge mode shares: a name, the Keras layer it becomes, a shape rule.

The shape rule runs before Keras is called, so an impossible merge is refused
with one sentence a student can act on instead of a Keras traceback.
"""
from __future__ import annotations

from mbcore.settings import SettingsError


class MergeError(SettingsError):
    """The branches cannot be merged this way."""


def describe(shapes) -> str:
    """'32 and 16' for widths, '(4, 4) and (2,)' for anything else."""
    parts = [str(s[0]) if len(s) == 1 else str(tuple(s)) for s in shapes]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


class MergeMode:
    """One way of joining branches. Subclasses set the class attributes."""
    name = ""
    label = ""
    keras_class = ""
    idea = ""               # one line for the lesson text
    keras1 = ""             # the Keras 1 Merge(mode=...) spelling it replaces
    min_inputs, max_inputs = 2, None

    def keras_kwargs(self) -> dict:
        return {}

    def output_shape(self, shapes: list[tuple]) -> tuple:
        """Check the rule and give the merged shape (batch axis left out)."""
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs and n > self.max_inputs):
            wanted = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise MergeError(f"{self.name} takes {wanted} branches; got {n}")
        return self.rule(shapes)

    def rule(self, shapes: list[tuple]) -> tuple:
        raise NotImplementedError

    def build(self, name: str):
        import keras
        return getattr(keras.layers, self.keras_class)(name=name, **self.keras_kwargs())


class Elementwise(MergeMode):
    """Modes that combine matching entries: every branch must have the same shape."""

    def rule(self, shapes):
        if len(set(map(tuple, shapes))) > 1:
            what = "width" if all(len(s) == 1 for s in shapes) else "shape"
            raise MergeError(f"{self.name} needs branches of equal {what}; "
                             f"got {describe(shapes)}")
        return tuple(shapes[0])
