"""The one builder: a Graph -> a Keras functional model, layer for layer, names kept.

Keras is imported inside the functions: the network package (graph, summary,
diagram) is what the Streamlit server uses on every slider move, and the
server never loads TensorFlow (~500 MB). Only training code calls these.
"""
from __future__ import annotations

from mbcore.network.graph import OPS, Graph
from mbcore.network.merges import get_merge


def _layer(node):
    """The Keras layer of one non-input node, constructed, not yet called."""
    import keras

    if node.op == "merge":
        return get_merge(node.kwargs["mode"]).build(node.name)
    return getattr(keras.layers, OPS[node.op][0])(name=node.name, **node.kwargs)


def keras_model(graph: Graph, name: str = "model"):
    """Turn a checked Graph into a keras.Model."""
    import keras

    tensors = {}
    for node in graph.nodes:
        if node.op == "input":
            tensors[node.name] = keras.Input(shape=node.shape, name=node.name, **node.kwargs)
            continue
        layer = _layer(node)
        sources = [tensors[s] for s in node.inputs]
        tensors[node.name] = layer(sources if node.op == "merge" else sources[0])
    return keras.Model(inputs=[tensors[n] for n in graph.inputs],
                       outputs=[tensors[n] for n in graph.outputs], name=name)


def build_model(graph: Graph, seed: int, name: str = "model"):
    """The Keras model of a Graph, with its weights seeded by `seed`."""
    import keras

    keras.utils.set_random_seed(int(seed))
    return keras_model(graph, name=name)


# A built weight's initializer, by the weight's name: the layer's attribute
# holding it. Keras draws each initializer's seed when the layer is constructed,
# so an initializer called again gives the same values as in a build.
_INITIALIZERS = {"kernel": "kernel_initializer", "bias": "bias_initializer",
                 "embeddings": "embeddings_initializer"}


def initial_weights(graph: Graph, seed: int, model) -> list | None:
    """The weights `build_model(graph, seed)` starts with, as arrays in the order
    of `model.variables` (a model of the same graph), or None where this cannot tell.

    Why: a worker that reuses a traced model for a new seed needed a fresh
    build only for its weights, and building the 42-layer net takes a quarter
    of a second, before the first epoch can start. Here the layers are only
    constructed, in the build's order (which draws the same seeds), and each
    weight comes from its initializer; a state the constructor makes (a
    dropout's seed) is read from the new layer, in order. A weight made in
    another way (an LSTM's forget-gate bias) gives None: the caller builds.
    tests/test_core.py checks every lesson against build_model itself.
    """
    import keras

    keras.utils.set_random_seed(int(seed))
    fresh = {node.name: _layer(node) for node in graph.nodes if node.op != "input"}
    values = {}
    for layer in model.layers:
        if layer.name not in fresh:
            continue           # an input
        new = fresh[layer.name]
        states = iter(new.variables)       # what the constructor made: seed states
        for var in layer.variables:
            leaf = var.path.rsplit("/", 1)[-1]
            init = getattr(new, _INITIALIZERS.get(leaf, ""), None)
            if leaf == "seed_generator_state":
                made = next(states, None)
                if made is None:
                    return None
                values[id(var)] = made.numpy()
            elif init is not None and not getattr(new, "unit_forget_bias", False):
                values[id(var)] = keras.ops.convert_to_numpy(init(var.shape, dtype=var.dtype))
            else:
                return None
    if len(values) != len(model.variables):
        return None            # a variable outside the layers: build instead
    return [values[id(var)] for var in model.variables]
