"""The one builder: settings -> Graph -> Keras functional model.

Keras is imported lazily so that the command line's fast paths, the settings
and the graph code stay usable without paying for TensorFlow's import.
"""
from __future__ import annotations

from mbcore.graph import OPS, Graph
from mbcore.merges import get_merge


def keras_model(graph: Graph, name: str = "model"):
    """Turn a checked Graph into a keras.Model, layer for layer, names kept."""
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


def architecture(settings) -> Graph:
    """The Graph a lesson's settings describe (no Keras involved)."""
    from mbcore.lessons import lesson_of
    return lesson_of(settings).architecture(settings)


def build_model(settings):
    """The Keras model for these settings, with weights seeded by settings.seed."""
    import keras

    keras.utils.set_random_seed(int(settings.seed))
    return keras_model(architecture(settings), name=type(settings).lesson_id)
