"""Curves and differences as pages show them: readable names, train/validation
pairs, what changed between two settings, what two results ended with.

No Streamlit and no TensorFlow: plain functions of histories and settings.
"""
from __future__ import annotations

import numpy as np

from mbcore.engine.protocol import base_name, is_val
from mbcore.settings import Settings, field_names, spec_of

SHOWN_VAL = "val "          # a validation curve's prefix in a chart legend


def shown_val(name: str) -> bool:
    return name.startswith(SHOWN_VAL)


def shown_base(name: str) -> str:
    return name[len(SHOWN_VAL):] if shown_val(name) else name


def changes(old: Settings, new: Settings) -> dict:
    """Fields whose value differs: name -> (old, new)."""
    if type(old) is not type(new):
        return {"lesson": (type(old).lesson_id, type(new).lesson_id)}
    return {n: (getattr(old, n), getattr(new, n)) for n in field_names(type(new))
            if getattr(old, n) != getattr(new, n)}


def settings_diff(a: Settings, b: Settings) -> list[dict]:
    """The fields that differ between run A's and run B's settings, one row each,
    named by the settings table's labels and written as in a link."""
    rows = []
    for name, (old, new) in changes(a, b).items():
        if name == "lesson":
            rows.append({"setting": "lesson", "A": old, "B": new})
            continue
        spec = spec_of(type(b), name)
        rows.append({"setting": spec.label, "A": spec.to_text(old), "B": spec.to_text(new)})
    return rows


def final_numbers(a, b) -> list[dict]:
    """What A and B ended with: each validation curve's last value (the curves the
    charts show, so no metric that repeats a loss), then the epochs run."""
    rows: dict[str, dict] = {}
    for side, run in (("A", a), ("B", b)):
        losses, metrics = loss_and_metric_series(run.history)
        named = {**{loss_label(shown_base(k)): v for k, v in losses.items() if shown_val(k)},
                 **{shown_base(k).replace("_", " "): v for k, v in metrics.items()
                    if shown_val(k)}}
        for name, values in named.items():
            measure = (f"{name[:-1]}, {run.val_name})" if name.endswith(")")
                       else f"{name} ({run.val_name})")
            row = rows.setdefault(name, {"measure": measure, "A": None, "B": None})
            row[side] = values[-1] if values else None
    return [*rows.values(), {"measure": "epochs", "A": a.epoch, "B": b.epoch}]


def loss_label(name: str) -> str:
    """A loss curve's name as a reader says it: 'sin_output' -> 'sin output loss'."""
    return name if "loss" in name else ("total loss (weighted)" if name.startswith("total")
                                        else f"{name.replace('_', ' ')} loss")


def loss_and_metric_series(history: dict) -> tuple[dict, dict]:
    """Split a history into loss curves and metric curves, with readable names.

    'loss' is the weighted total; '<output>_loss' are the outputs' own losses
    (left out when there is one output: it equals the total). A metric that
    repeats a loss value for value (mse as both loss and metric) is dropped.
    """
    outputs = [k[:-5] for k in history if k.endswith("_loss") and not is_val(k)]
    losses, metrics = {}, {}
    for key, values in history.items():
        val, base = is_val(key), base_name(key)
        prefix = SHOWN_VAL if val else ""
        if base == "loss":
            losses[prefix + ("total (weighted)" if len(outputs) > 1 else "loss")] = values
        elif base.endswith("_loss"):
            if len(outputs) > 1:
                losses[prefix + base[:-5]] = values
        elif not any(np.allclose(values, history[k]) for k in history
                     if k.endswith("loss") and is_val(k) == val
                     and len(history[k]) == len(values)):
            metrics[prefix + base] = values
    return losses, metrics
