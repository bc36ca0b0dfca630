"""The architecture as Graphviz DOT text, for st.graphviz_chart (drawn in the browser).

One node per layer and one edge per connection, read straight from the Graph,
so several inputs and several outputs come out right. Branches are drawn as
frames, merges stand out and name their mode. Laid out for a projector:

- every input on the top rank and every output on the bottom one, so a glance
  finds them all;
- each node says its output shape itself, so edges carry no labels for the
  arrows to run through;
- a run of identical blocks (network/repeats.py) is drawn as its first block
  plus one node for the rest, unless `expand` asks for every layer.
"""
from __future__ import annotations

from mbcore.network.graph import Graph
from mbcore.network.repeats import Repeat, find_repeats, is_framed
from mbcore.network.summary import layer_type

_STYLE = {
    "input": 'shape=box style="rounded,filled" fillcolor="#d8ecff"',
    "merge": 'shape=hexagon style=filled fillcolor="#ffcf70" penwidth=2',
    "output": 'shape=box style="rounded,filled" fillcolor="#d9f2d0"',
    "layer": 'shape=box style="rounded,filled" fillcolor="#f4f4f4"',
    "folded": 'shape=box3d style=filled fillcolor="#ece4ff" penwidth=1.5',
}
FONT_PT = 14      # node text; the page scales a wide diagram down, never below its box


def _q(text: str) -> str:
    """Quote an ID or label; labels keep their \\n line breaks."""
    return '"' + str(text).replace('"', '\\"') + '"'


def _kind(graph: Graph, node) -> str:
    if node.name in graph.outputs:
        return "output"
    return node.op if node.op in ("input", "merge") else "layer"


def _shape(shape: tuple) -> str:
    return "×".join(map(str, shape))


def _label(node) -> str:
    """Name; kind and output shape; parameters."""
    kind = layer_type(node)
    if node.op == "merge":
        kind = f"merge: {node.kwargs['mode']}"
    elif node.op in ("dense", "lstm", "conv2d") and node.kwargs.get("activation"):
        kind += f" ({node.kwargs['activation']})"
    params = f"\\n{node.params:,} params" if node.params else ""
    return f"{node.name}\\n{kind} → {_shape(node.shape)}{params}"


def _folded_label(rep: Repeat) -> str:
    return (f"{rep.node_id}\\n{rep.count - 1} more like {rep.kept}"
            f"\\n{rep.params:,} params")


def folded(graph: Graph, expand: bool = False) -> list[Repeat]:
    """The runs the diagram folds (none when expanded)."""
    return [] if expand else find_repeats(graph)


def drawn_nodes(graph: Graph, expand: bool = False) -> list[str]:
    """The node IDs of the diagram: layers, and one per folded run."""
    reps = folded(graph, expand)
    hidden = {name for r in reps for name in r.folded}
    return [n.name for n in graph.nodes if n.name not in hidden] + [r.node_id for r in reps]


def to_dot(graph: Graph, title: str = "", rankdir: str = "TB", expand: bool = False,
           id_prefix: str = "") -> str:
    """The diagram as DOT. `id_prefix` goes before every node and cluster ID (never
    shown: labels carry the names), so that a page can make a changed diagram's
    IDs all new (see ui/model.py, redrawn_dot)."""
    reps = folded(graph, expand)
    where = {name: r.node_id for r in reps for name in r.folded}   # layer -> folded node
    size = {r.kept: r.count for r in reps}

    def ident(name: str) -> str:
        return _q(id_prefix + name)

    lines = [f"digraph {ident(title or 'model')} {{",
             f"  rankdir={rankdir}; nodesep=0.3; ranksep=0.16; newrank=true;",
             f'  node [fontname="Helvetica" fontsize={FONT_PT} margin="0.12,0.03"];',
             '  edge [arrowsize=0.8];']
    frames: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.name in where:
            continue
        decl = f"  {ident(node.name)} [label={_q(_label(node))} {_STYLE[_kind(graph, node)]}];"
        if is_framed(graph, node):
            frames.setdefault(node.branch, []).append(decl)
        else:
            lines.append(decl)
    lines += [f"  {ident(r.node_id)} [label={_q(_folded_label(r))} {_STYLE['folded']}];"
              for r in reps]
    for i, (branch, decls) in enumerate(frames.items()):
        label = f"{branch} (1 of {size[branch]})" if branch in size else branch
        lines += [f"  subgraph {_q(f'cluster_{id_prefix}{i}')} {{",
                  f'    label={_q(label)}; labeljust=l; style="rounded,dashed"; '
                  'color="#9aa5b1"; fontname="Helvetica"; fontsize=13;',
                  *("  " + d for d in decls), "  }"]
    for rank, names in (("source", graph.inputs), ("sink", graph.outputs)):
        if len(names) > 1:
            lines.append(f"  {{ rank={rank}; {' '.join(ident(n) for n in names)} }}")
    seen = set()
    for node in graph.nodes:
        for src in node.inputs:
            edge = (where.get(src, src), where.get(node.name, node.name))
            if edge[0] != edge[1] and edge not in seen:
                seen.add(edge)
                lines.append(f"  {ident(edge[0])} -> {ident(edge[1])};")
    lines.append("}")
    return "\n".join(lines)
