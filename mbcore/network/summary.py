"""The model summary as rows a page, a table or JSON can show.

Computed from the Graph, not from a built Keras model, so the Streamlit server
can redraw it on every slider move without importing TensorFlow (about 690 MB
per process). The tests check every row against Keras's own model.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from mbcore.network.graph import OPS, Graph
from mbcore.network.merges import get_merge

_TYPES = {"input": "InputLayer", **{op: spec[0] for op, spec in OPS.items()}}


@dataclass(frozen=True)
class Row:
    name: str
    type: str
    output_shape: str
    params: int
    inbound: tuple


def layer_type(node) -> str:
    if node.op == "merge":
        return get_merge(node.kwargs["mode"]).keras_class
    return _TYPES[node.op]


def shape_text(shape: tuple) -> str:
    return "(" + ", ".join(["None", *map(str, shape)]) + ")"


def summary_rows(graph: Graph) -> list[Row]:
    return [Row(n.name, layer_type(n), shape_text(n.shape), n.params, tuple(n.inputs))
            for n in graph.nodes]


def summary_dict(graph: Graph) -> dict:
    """The JSON form used by `python -m mbcore summary --json`."""
    rows = summary_rows(graph)
    return {"params": graph.params, "trainable_params": graph.params, "non_trainable_params": 0,
            "inputs": graph.inputs, "outputs": graph.outputs,
            "layers": [{**asdict(r), "inbound": list(r.inbound)} for r in rows]}


def summary_text(graph: Graph, title: str = "") -> str:
    """A fixed-width table in the layout of Keras's own summary (tutorial 001)."""
    head = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    body = [(f"{r.name} ({r.type})", r.output_shape, f"{r.params:,}", ", ".join(r.inbound))
            for r in summary_rows(graph)]
    widths = [max(len(x[i]) for x in [head, *body]) + 2 for i in range(4)]

    def line(cells):
        return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    rule = "=" * sum(widths)
    out = ([title] if title else []) + [rule, line(head), rule, *map(line, body), rule,
                                        f"Total params: {graph.params:,}",
                                        f"Trainable params: {graph.params:,}",
                                        "Non-trainable params: 0"]
    return "\n".join(out)
