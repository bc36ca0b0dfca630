"""The architecture as Graphviz DOT text, for st.graphviz_chart (drawn in the browser).

One node per layer and one edge per connection, read straight from the Graph,
so several inputs and several outputs come out right. Branches are drawn as
clusters, merges stand out and name their mode, edges carry tensor shapes.
"""
from __future__ import annotations

from mbcore.network.graph import Graph
from mbcore.network.summary import layer_type

_STYLE = {
    "input": 'shape=box style="rounded,filled" fillcolor="#d8ecff"',
    "merge": 'shape=hexagon style=filled fillcolor="#ffcf70" penwidth=2',
    "output": 'shape=box style="rounded,filled" fillcolor="#d9f2d0"',
    "layer": 'shape=box style="rounded,filled" fillcolor="#f4f4f4"',
}
_LOOSE = ("", "outputs", "merge", "trunk")      # branches drawn without a frame


def _q(text: str) -> str:
    """Quote an ID or label; labels keep their \\n line breaks."""
    return '"' + str(text).replace('"', '\\"') + '"'


def _kind(graph: Graph, node) -> str:
    if node.name in graph.outputs:
        return "output"
    return node.op if node.op in ("input", "merge") else "layer"


def _label(node) -> str:
    kind = layer_type(node)
    if node.op == "merge":
        kind = f"merge: {node.kwargs['mode']}"
    elif node.op in ("dense", "lstm", "conv2d") and node.kwargs.get("activation"):
        kind += f" ({node.kwargs['activation']})"
    params = f"\\n{node.params:,} params" if node.params else ""
    return f"{node.name}\\n{kind}{params}"


def to_dot(graph: Graph, title: str = "", rankdir: str = "TB") -> str:
    lines = [f"digraph {_q(title or 'model')} {{",
             f'  rankdir={rankdir}; nodesep=0.25; ranksep=0.35;',
             '  node [fontname="Helvetica" fontsize=14]; edge [fontname="Helvetica" fontsize=11];']
    clusters: dict[str, list[str]] = {}
    for node in graph.nodes:
        decl = f"  {_q(node.name)} [label={_q(_label(node))} {_STYLE[_kind(graph, node)]}];"
        if node.op == "input" or node.name in graph.outputs or node.branch in _LOOSE:
            lines.append(decl)
        else:
            clusters.setdefault(node.branch, []).append(decl)
    for i, (branch, decls) in enumerate(clusters.items()):
        lines += [f"  subgraph cluster_{i} {{",
                  f'    label={_q(branch)}; style="rounded,dashed"; color="#9aa5b1";',
                  *("  " + d for d in decls), "  }"]
    for node in graph.nodes:
        for src in node.inputs:
            shape = "×".join(map(str, graph[src].shape))
            lines.append(f"  {_q(src)} -> {_q(node.name)} [label={_q(' ' + shape)}];")
    lines.append("}")
    return "\n".join(lines)
