"""A classifier's own plot of one result: true against predicted class.

Passed as `live` to `train_panel`, so it is drawn for the finished result, as
predictions arrive while training, and for A and for B in an A/B compare.
"""
from __future__ import annotations

from mbcore.views import figures
from mbcore.views import tables
from mbcore.ui.frame import chart, dataset, side_by_side


def class_plots(run) -> None:
    """One confusion matrix per classification output, side by side, on the
    validation (or test) samples."""
    data = dataset(run.settings)
    outputs = [name for name in data.y_val if run.predictions.get(name) is not None]
    if not outputs:
        return
    for col, name in zip(side_by_side(len(outputs)), outputs):
        y = data.y_val[name]
        labels = ["0 (no)", "1 (yes)"] if y.shape[1] == 1 else None
        matrix = tables.confusion_matrix(y, run.predictions[name])
        with col:
            # short: two across at 1280 px (the axes say true and predicted class)
            chart(figures.confusion(matrix, f"{name.replace('_', ' ')} ({run.val_name})",
                                    labels=labels),
                  key=f"confusion_{name}")
