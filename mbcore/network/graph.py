"""An architecture as plain data: named nodes, their inputs and their shapes.

Every lesson describes its network as a Graph; one builder turns a Graph into
a Keras functional model, and the same Graph can be written out as code. The
graph tracks shapes itself, so merge rules are checked before Keras runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from mbcore.network.merges import get_merge
from mbcore.settings import SettingsError


def _same(shape, a):
    return shape


def _dense(shape, a):
    return tuple(shape[:-1]) + (a["units"],)


def _embedding(shape, a):
    return tuple(shape) + (a["output_dim"],)


def _lstm(shape, a):
    return (a["units"],)


def _conv2d(shape, a):
    k, f = a["kernel_size"], a["filters"]
    h, w = (shape[0], shape[1]) if a.get("padding") == "same" else (shape[0] - k + 1, shape[1] - k + 1)
    if h < 1 or w < 1:
        raise SettingsError(f"a {k}x{k} convolution does not fit an image of {shape[0]}x{shape[1]}")
    return (h, w, f)


def _pool2d(shape, a):
    p = a["pool_size"]
    if shape[0] < p or shape[1] < p:
        raise SettingsError(f"{p}x{p} pooling does not fit a feature map of {shape[0]}x{shape[1]}")
    return (shape[0] // p, shape[1] // p, shape[2])


def _flatten(shape, a):
    return (math.prod(shape),)


def _no_params(shape, a):
    return 0


def _dense_params(shape, a):
    return (shape[-1] + 1) * a["units"]


def _embedding_params(shape, a):
    return a["input_dim"] * a["output_dim"]


def _lstm_params(shape, a):
    u = a["units"]
    return 4 * (u * (shape[-1] + u) + u)


def _conv2d_params(shape, a):
    return (a["kernel_size"] ** 2 * shape[-1] + 1) * a["filters"]


# op name -> (Keras layer class, output-shape rule, parameter-count rule).
# The only list of layer kinds; tests check both rules against Keras itself.
OPS = {
    "dense": ("Dense", _dense, _dense_params),
    "dropout": ("Dropout", _same, _no_params),
    "embedding": ("Embedding", _embedding, _embedding_params),
    "lstm": ("LSTM", _lstm, _lstm_params),
    "conv2d": ("Conv2D", _conv2d, _conv2d_params),
    "maxpool2d": ("MaxPooling2D", _pool2d, _no_params),
    "flatten": ("Flatten", _flatten, _no_params),
    "activation": ("Activation", _same, _no_params),
}


@dataclass(frozen=True)
class Node:
    """One layer. `op` is 'input', a key of OPS, or 'merge'."""
    name: str
    op: str
    args: tuple = ()            # sorted (key, value) pairs, hashable
    inputs: tuple = ()          # names of the nodes feeding this one
    shape: tuple = ()           # output shape without the batch axis
    branch: str = ""            # which branch the diagram draws it in
    params: int = 0             # trainable parameters of this layer

    @property
    def kwargs(self) -> dict:
        return dict(self.args)


@dataclass
class Graph:
    """Nodes in build order, plus which of them are the model's outputs."""
    nodes: list[Node] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, name: str) -> Node:
        return self._index[name]

    @property
    def params(self) -> int:
        return sum(n.params for n in self.nodes)

    def consumers(self, name: str) -> list[str]:
        return [n.name for n in self.nodes if name in n.inputs]

    @property
    def inputs(self) -> list[str]:
        return [n.name for n in self.nodes if n.op == "input"]

    # -- building -----------------------------------------------------------
    def _add(self, node: Node) -> str:
        if node.name in self._index:
            raise ValueError(f"layer name {node.name!r} used twice")
        self.nodes.append(node)
        self._index[node.name] = node
        return node.name

    def input(self, name: str, shape: tuple, dtype: str = "float32", branch: str = "") -> str:
        return self._add(Node(name, "input", (("dtype", dtype),), (), tuple(shape), branch or name))

    def layer(self, op: str, name: str, src: str, branch: str = "", **args) -> str:
        """Add one layer of kind `op` fed by `src`."""
        _, shape_rule, param_rule = OPS[op]
        in_shape = self[src].shape
        return self._add(Node(name, op, tuple(sorted(args.items())), (src,),
                              shape_rule(in_shape, args), branch or self[src].branch,
                              param_rule(in_shape, args)))

    def stack(self, src: str, prefix: str, widths, activation: str | None = "relu",
              branch: str = "", dropout: float = 0.0) -> str:
        """A branch: Dense layers named prefix_dense_1.., optional dropout after each."""
        x = src
        for i, units in enumerate(widths, start=1):
            x = self.layer("dense", f"{prefix}_dense_{i}", x, branch or prefix,
                           units=int(units), activation=activation)
            if dropout:
                x = self.layer("dropout", f"{prefix}_dropout_{i}", x, branch or prefix,
                               rate=float(dropout))
        return x

    def merge(self, mode: str, srcs: list[str], name: str = "", branch: str = "merge") -> str:
        """Join branches; refuses impossible combinations with a clear message."""
        merge = get_merge(mode)
        shape = merge.output_shape([self[s].shape for s in srcs])
        return self._add(Node(name or f"merge_{mode}", "merge", (("mode", mode),),
                              tuple(srcs), shape, branch))

    def output(self, src: str, name: str, units: int = 1, activation: str | None = None) -> str:
        out = self.layer("dense", name, src, "outputs", units=units, activation=activation)
        self.outputs.append(out)
        return out
