"""The one builder: a Graph -> a Keras functional model, layer for layer, names kept.

Keras is imported inside the functions: the network package (graph, summary,
diagram) is what the Streamlit server uses on every slider move, and the
server never loads TensorFlow (~500 MB). Only training code calls these.
"""
from __future__ import annotations

from mbcore.network.graph import OPS, Graph
from mbcore.network.merges import get_merge


def keras_model(graph: Graph, name: str = "model"):
    """Turn a checked Graph into a keras.Model."""
    import keras

    tensors = {}
    for node in graph.nodes:
        if node.op == "input":
            tensors[node.name] = keras.Input(shape=node.shape, name=node.name, **node.kwargs)
            continue
        if node.op == "merge":
            layer = get_merge(node.kwargs["mode"]).build(node.name)
            tensors[node.name] = layer([tensors[s] for s in node.inputs])
            continue
        layer = getattr(keras.layers, OPS[node.op][0])(name=node.name, **node.kwargs)
        tensors[node.name] = layer(tensors[node.inputs[0]])
    return keras.Model(inputs=[tensors[n] for n in graph.inputs],
                       outputs=[tensors[n] for n in graph.outputs], name=name)


def build_model(graph: Graph, seed: int, name: str = "model"):
    """The Keras model of a Graph, with its weights seeded by `seed`."""
    import keras

    keras.utils.set_random_seed(int(seed))
    return keras_model(graph, name=name)
