"""Lesson multi_io: x and x² in, sin(2πx) and exp(x) out (tutorial 002, first half)."""
from mbcore import ui

TEXT = """
**The idea.** One network, two inputs, two outputs. The first input is x, the
second is x², each with its own stack of Dense layers. The stacks are merged,
and two heads come out of the merge: one should learn sin(2πx), the other exp(x).
Each output has its own loss (mean squared error), and training minimises the
**weighted sum** of the two: total = w₁ · loss(sin) + w₂ · loss(exp).

**What to try.** Train with the defaults (six layers of ten per branch, weights
1 and 1, 300 epochs as in the tutorial, which prints no loss; the figures in the
claims below are our own measurements over five seeds). Then
move one loss weight: weight the sine ten times more, or set the exponential's
weight to 0 and watch that output stop learning. Switch on *Feed x to both
branches* to see whether the extra x² input helps at all.

**What to look for.** The per-output curves and the weighted total: the total
is what the optimiser sees, so a large weight makes its output dominate. The
fit plots draw each prediction on the validation points against the exact curve.
"""

exp, aside = ui.lesson_page("multi_io", TEXT)
settings = exp.settings
ui.api_change("imports and metrics", (
    "from keras.layers.merge import concatenate\n"
    "model.compile(optimizer='rmsprop', loss=['mse', 'mse'],\n"
    "              loss_weights=[1, 1], metrics='mse')"), (
    "from keras import layers            # keras.layers.merge is gone\n"
    "model.compile(optimizer='rmsprop',\n"
    "              loss={'sin_output': 'mse', 'exp_output': 'mse'},\n"
    "              loss_weights={'sin_output': 1.0, 'exp_output': 1.0},\n"
    "              metrics={'sin_output': ['mse'], 'exp_output': ['mse']})"),
    note="Keras 3 has no `keras.layers.merge` module (the merge layers live in "
         "`keras.layers`), and refuses a bare string for `metrics` "
         "(`ValueError: Expected metrics argument to be a list, tuple, or dict`). "
         "Naming outputs in dicts keeps losses, weights and metrics unambiguous.")


run = ui.train_panel(exp, live=ui.plots_of("multi_io").live)
if run is not None:
    ui.final_metrics(run)
ui.claims_box(exp, aside, run)
