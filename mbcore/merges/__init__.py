"""The merge-mode registry: each mode is declared once, in its own file."""
from mbcore.merges.add import Add
from mbcore.merges.average import Average
from mbcore.merges.base import MergeError, MergeMode
from mbcore.merges.concatenate import Concatenate
from mbcore.merges.cosine import Cosine
from mbcore.merges.dot import Dot
from mbcore.merges.maximum import Maximum
from mbcore.merges.minimum import Minimum
from mbcore.merges.multiply import Multiply
from mbcore.merges.subtract import Subtract

MERGES: dict[str, MergeMode] = {m.name: m for m in (
    Concatenate(), Add(), Subtract(), Multiply(), Average(), Maximum(), Minimum(), Dot(), Cosine())}
MERGE_NAMES = tuple(MERGES)


def get_merge(name: str) -> MergeMode:
    try:
        return MERGES[name]
    except KeyError:
        raise MergeError(f"unknown merge mode {name!r}: use one of {', '.join(MERGE_NAMES)}") from None


__all__ = ["MERGES", "MERGE_NAMES", "MergeError", "MergeMode", "get_merge"]
