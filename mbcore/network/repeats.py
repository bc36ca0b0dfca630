"""Runs of identical blocks in a Graph, so a diagram can fold them.

A 20-block residual net drawn layer by layer is thousands of pixels tall and
says nothing the first block does not. A *group* is a framed branch (all its
layers) or a single unframed layer; a *run* is a chain of groups that are the
same (layer kinds, settings and wiring inside), each fed only by the one before.
The diagram draws a run's first group in full and the rest as one node.
"""
from __future__ import annotations

from dataclasses import dataclass

from mbcore.network.graph import Graph

LOOSE = ("", "outputs", "merge", "trunk")      # branches drawn without a frame
MIN_RUN = 4        # a run of fewer groups is drawn in full


@dataclass(frozen=True)
class Repeat:
    """A run: its first group drawn in full, the others folded into one node."""
    kept: str                   # the first group's name (a branch or a layer)
    folded: tuple[str, ...]     # the layers drawn as one node
    first: str                  # names of the first and last folded groups
    last: str
    count: int                  # groups in the run, the kept one included
    params: int                 # parameters of the folded layers

    @property
    def node_id(self) -> str:
        return f"{self.first} … {self.last}"


def is_framed(graph: Graph, node) -> bool:
    """Drawn inside its branch's frame (inputs and outputs never are)."""
    return node.op != "input" and node.name not in graph.outputs and node.branch not in LOOSE


def groups(graph: Graph) -> dict[str, list]:
    """Groups in build order: a framed branch's layers, or one unframed layer.
    Inputs and outputs are never part of a run."""
    out: dict[str, list] = {}
    for node in graph.nodes:
        if node.op == "input" or node.name in graph.outputs:
            continue
        out.setdefault(node.branch if is_framed(graph, node) else node.name, []).append(node)
    return out


def _signature(nodes: list) -> tuple:
    """What makes two groups the same: layer kinds, their settings, the wiring inside
    (an input from outside the group counts as -1)."""
    index = {n.name: i for i, n in enumerate(nodes)}
    return tuple((n.op, n.args, tuple(index.get(s, -1) for s in n.inputs)) for n in nodes)


def _fed_by(nodes: list, previous: list) -> bool:
    """Every input from outside the group comes from the group before it."""
    inside, before = {n.name for n in nodes}, {n.name for n in previous}
    return all(s in inside or s in before for n in nodes for s in n.inputs)


def _feeds_only(graph: Graph, nodes: list, allowed: set) -> bool:
    return all(c in allowed for n in nodes for c in graph.consumers(n.name))


def find_repeats(graph: Graph, min_run: int = MIN_RUN) -> list[Repeat]:
    """Maximal runs of at least `min_run` identical, chained groups."""
    names = list(groups(graph))
    members = groups(graph)
    repeats, i = [], 0
    while i < len(names):
        j = i + 1
        while (j < len(names) and _signature(members[names[j]]) == _signature(members[names[i]])
               and _fed_by(members[names[j]], members[names[j - 1]])):
            j += 1
        # the run is names[i:j]; the folded groups but the last may only feed the run
        while j - i >= min_run and not all(
                _feeds_only(graph, members[names[k]],
                            {n.name for g in names[k:k + 2] for n in members[g]})
                for k in range(i + 1, j - 1)):
            j -= 1
        if j - i >= min_run:
            folded = [n for g in names[i + 1:j] for n in members[g]]
            repeats.append(Repeat(names[i], tuple(n.name for n in folded), names[i + 1],
                                  names[j - 1], j - i, sum(n.params for n in folded)))
            i = j
        else:
            i += 1
    return repeats
