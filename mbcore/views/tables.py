"""Tables and numbers the lesson pages show, computed without TensorFlow.

Per-lesson logic that is not UI lives here so the pages stay thin and the
Streamlit server never has to import Keras: merge-mode rules, weight and
activation shapes, confusion matrices, readable examples of the toy data.
"""
from __future__ import annotations

import numpy as np

from mbcore.network.merges import MERGES
from mbcore.settings import SettingsError, spec_of
from mbcore.network.summary import shape_text
from mbcore.tasks.headlines import decode


def merge_table(lesson, settings) -> list[dict]:
    """Every merge mode the lesson offers: allowed with its size, or why not."""
    rows = []
    for mode in spec_of(lesson.settings_cls, "merge").choices:
        merge = MERGES[mode]
        row = {"mode": mode, "Keras 3 layer": _keras3_call(mode),
               "Keras 1 mode": merge.keras1 or "—", "idea": merge.idea}
        try:
            graph = lesson.architecture(settings.replace(merge=mode))
        except SettingsError as err:
            rows.append({**row, "allowed": False, "reason": str(err)})
            continue
        node = next(n for n in graph.nodes if n.op == "merge")
        after = graph[graph.consumers(node.name)[0]]
        rows.append({**row, "allowed": True, "reason": "", "merged shape": shape_text(node.shape),
                     "next layer params": after.params, "params": graph.params})
    return rows


def _keras3_call(mode: str) -> str:
    merge = MERGES[mode]
    args = ", ".join(f"{k}={v!r}" for k, v in merge.keras_kwargs().items())
    return f"layers.{merge.keras_class}({args})"


def merge_code(mode: str) -> tuple[str, str]:
    """The tutorial's Keras 1 spelling of a merge and the Keras 3 call that replaces it."""
    merge = MERGES[mode]
    old = (f"merged = Merge([left_branch, right_branch], mode={merge.keras1!r})"
           if merge.keras1 else f"# Keras 1's Merge had no {mode!r} mode")
    new = f"merged = {_keras3_call(mode)}([left, right])"
    return old, new


def weight_shapes(graph, batch_size: int) -> list[dict]:
    """Each layer's weight shapes beside the shape of the batch flowing out of it."""
    rows = []
    for node in graph.nodes:
        in_shape = graph[node.inputs[0]].shape if node.inputs else node.shape
        kernel = bias = "—"
        if node.op == "dense":
            kernel, bias = f"[{in_shape[-1]}, {node.kwargs['units']}]", f"[{node.kwargs['units']}]"
        rows.append({"layer": node.name, "kind": node.op,
                     "weights (kernel)": kernel, "bias": bias,
                     "activation shape": "[" + ", ".join(map(str, (batch_size, *node.shape))) + "]",
                     "params": node.params})
    return rows


def confusion_matrix(y_true, y_prob, classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) from one-hot labels and probabilities;
    a single column is a yes/no output (class 1 when above 0.5)."""
    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob)
    if y_true.shape[1] == 1:
        true, pred, k = (y_true[:, 0] > 0.5).astype(int), (y_prob[:, 0] > 0.5).astype(int), 2
    else:
        true, pred, k = np.argmax(y_true, axis=1), np.argmax(y_prob, axis=1), None
    k = classes or k or y_true.shape[1]
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (true, pred), 1)
    return matrix


def headline_examples(data, n: int = 8) -> list[dict]:
    """Readable simulated headlines with their side features and label."""
    x, y = data.x_train, data.y_train["main_output"]
    names = data.info["feature_names"]
    rows = []
    for i in range(min(n, len(y))):
        row = {"headline (first 12 words)": decode(x["headline_input"][i][:12]),
               "word score": round(float(data.info["word_score"][i]), 2)}
        row.update({f: round(float(v), 2) for f, v in zip(names, x["side_input"][i])})
        row["popular"] = "yes" if y[i, 0] > 0.5 else "no"
        rows.append(row)
    return rows


def image_examples(data, n: int = 12):
    """Sample images, their tag words and whether the tag names the shape."""
    names = data.info["shape_names"]
    images = data.x_train["image_input"][:n]
    tags = [names[int(t)] for t in data.x_train["tag_input"][:n, 0]]
    shapes = [names[int(s)] for s in data.info["train_shapes"][:n]]
    match = [bool(v) for v in data.y_train["match_output"][:n, 0]]
    return images, tags, shapes, match
