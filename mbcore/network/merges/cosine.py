"""Cosine: a dot product of unit vectors, so only the directions count."""
from mbcore.network.merges.dot import Dot


class Cosine(Dot):
    name, label = "cosine", "Cosine similarity"
    idea = "like dot, but normalised: a score between -1 and 1"
    keras1 = "cos"
    normalize = True
