"""Show me the code: the complete Keras 3 script for a lesson's current settings.

The script is assembled from the very pieces the app runs: the task's own
source (so the data is the same, bit for bit), one line per Graph node (so the
parameter count is the same), and the lesson's recipe. It needs only NumPy and
TensorFlow, and prints the model summary before it trains.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import sys

from mbcore.lessons import Experiment
from mbcore.network.graph import OPS, Graph
from mbcore.network.merges import get_merge
from mbcore.tasks import base as task_base

_HEADER_IMPORTS = ("import numpy as np", "from dataclasses import dataclass, field",
                   "from __future__ import annotations")


def _module_code(module) -> str:
    """A module's source: its docstring as comments, without the imports the header has."""
    source = inspect.getsource(module)
    doc = ast.get_docstring(ast.parse(source)) or ""
    if doc:
        source = source.split('"""', 2)[2]
    keep = [line for line in source.splitlines()
            if line.strip() not in _HEADER_IMPORTS and not line.startswith("from mbcore")]
    comments = "\n".join(f"# {line}".rstrip() for line in doc.splitlines())
    return (comments + "\n" + "\n".join(keep).strip("\n")).strip("\n")


def _args(node) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in node.args)


def model_code(graph: Graph, name: str) -> str:
    """One Python line per layer, variable names = layer names."""
    lines = []
    for n in graph.nodes:
        if n.op == "input":
            lines.append(f"{n.name} = keras.Input(shape={n.shape!r}, {_args(n)}, name={n.name!r})")
        elif n.op == "merge":
            merge = get_merge(n.kwargs["mode"])
            kw = "".join(f"{k}={v!r}, " for k, v in merge.keras_kwargs().items())
            lines.append(f"{n.name} = layers.{merge.keras_class}({kw}name={n.name!r})"
                         f"([{', '.join(n.inputs)}])")
        else:
            args = _args(n)
            lines.append(f"{n.name} = layers.{OPS[n.op][0]}({args + ', ' if args else ''}"
                         f"name={n.name!r})({n.inputs[0]})")
    lines.append(f"model = keras.Model(inputs=[{', '.join(graph.inputs)}], "
                 f"outputs=[{', '.join(graph.outputs)}], name={name!r})")
    return "\n".join(lines)


def schedule_code(recipe) -> str:
    """Keras 1/2's `decay=` argument, spelled as the Keras 3 schedule it became."""
    if not recipe.decay:
        return ""
    return ("# Keras 1/2 had SGD(decay=...): lr / (1 + decay * step). Keras 3 uses a schedule.\n"
            "learning_rate = keras.optimizers.schedules.InverseTimeDecay(\n"
            f"    {recipe.learning_rate!r}, decay_steps=1, decay_rate={recipe.decay!r})\n")


def optimizer_code(recipe) -> str:
    lr = "learning_rate" if recipe.decay else repr(recipe.learning_rate)
    if recipe.optimizer == "sgd":
        return (f"keras.optimizers.SGD(learning_rate={lr}, momentum={recipe.momentum!r}, "
                f"nesterov={recipe.nesterov!r})")
    return f"keras.optimizers.{'Adam' if recipe.optimizer == 'adam' else 'RMSprop'}(learning_rate={lr})"


def _settings_code(settings) -> str:
    body = "".join(f"    {k}={v!r},\n" for k, v in dataclasses.asdict(settings).items())
    return f"settings = SimpleNamespace(\n{body})"


def script(exp: Experiment, epochs: int | None = None) -> str:
    """The whole runnable script for an experiment (epochs overrides the lesson's)."""
    lesson, settings, graph, recipe, task = exp.lesson, exp.settings, exp.graph, exp.recipe, \
        exp.lesson.task
    epochs = int(epochs or recipe.epochs)
    return f'''"""{lesson.title} ({lesson.id}), exported from the multi-branch networks dashboard.

Runs on its own with NumPy and TensorFlow 2.21 / Keras 3: python this_file.py
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import keras
from keras import layers

# ---- the lesson's settings -------------------------------------------------
{_settings_code(settings)}

# ---- data: the same seeded generator the dashboard uses ---------------------
{_module_code(task_base)}


{_module_code(sys.modules[task.__module__])}


data = {task.__name__}(settings)
inputs, outputs = {graph.inputs!r}, {graph.outputs!r}
x_train = [data.x_train[k] for k in inputs]
y_train = [data.y_train[k] for k in outputs]
x_val = [data.x_val[k] for k in inputs]
y_val = [data.y_val[k] for k in outputs]

# ---- the model: one line per layer -----------------------------------------
keras.utils.set_random_seed(settings.seed)
{model_code(graph, lesson.id)}
model.summary()

# ---- training: a loss per output (Keras 3 spreads one loss string over the outputs
#      only without a list of loss weights; naming each output's loss always works)
{schedule_code(recipe)}model.compile(
    optimizer={optimizer_code(recipe)},
    loss={recipe.losses!r},
    loss_weights={recipe.loss_weights!r},
    metrics={ {k: list(v) for k, v in recipe.metrics.items()}!r},
)
history = model.fit(x_train, y_train, epochs={epochs}, batch_size={recipe.batch_size},
                    validation_data=(x_val, y_val), verbose=2)

# ---- evaluation on data the model did not train on
scores = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
for name, value in scores.items():
    print(f"{{name}}: {{value:.4f}}")
'''

