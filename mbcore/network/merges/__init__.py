"""The merge-mode registry: each mode is declared once, in its own file."""
from mbcore.network.merges.add import Add
from mbcore.network.merges.average import Average
from mbcore.network.merges.base import MergeError, MergeMode
from mbcore.network.merges.concatenate import Concatenate
from mbcore.network.merges.cosine import Cosine
from mbcore.network.merges.dot import Dot
from mbcore.network.merges.maximum import Maximum
from mbcore.network.merges.minimum import Minimum
from mbcore.network.merges.multiply import Multiply
from mbcore.network.merges.subtract import Subtract

MERGES: dict[str, MergeMode] = {m.name: m for m in (
    Concatenate(), Add(), Subtract(), Multiply(), Average(), Maximum(), Minimum(), Dot(), Cosine())}
MERGE_NAMES = tuple(MERGES)


def get_merge(name: str) -> MergeMode:
    try:
        return MERGES[name]
    except KeyError:
        raise MergeError(f"unknown merge mode {name!r}: use one of {', '.join(MERGE_NAMES)}") from None


__all__ = ["MERGES", "MERGE_NAMES", "MergeError", "MergeMode", "get_merge"]
