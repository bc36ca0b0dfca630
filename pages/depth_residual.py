"""Lesson depth_residual: depth and skip connections (tutorial 002, second half)."""
import streamlit as st

from mbcore import ui

TEXT = """
**The idea.** sin(12πx) wiggles six times on [0, 1]. The source tutorial fitted
it earlier with a shallow net and found that stacking more plain layers made it
worse. Its **plain** net here is eleven `Dense(10, relu)` layers and a linear
`Dense(1)` (12 layers, **1,131** parameters), and it does not fit the curve. Its
**residual** net has 42 layers in 20 blocks; each block's output is merged with
the block's input, a *skip connection* (**23,631** parameters), and it fits the
curve. The claims below the text give both nets' validation MSE, measured over
five seeds.

**Classroom size.** The networks are the tutorial's, and so are the 1,000
training points and the 200 epochs; the batches are larger (128 instead of 32)
and Adam's step is larger (0.005 instead of 0.001), so the residual net trains
in about half the time (measured on the 2-core server: 6 s instead of 12), and
it fits all the same (claims below). The preset *tutorial (full size)* restores
the tutorial's batches and step.

**Why, in theory.** The gradient that reaches the first layers is a product of
one factor per layer above them; in a deep plain stack it can shrink, and a ReLU
that is switched off passes nothing back. A skip connection gives the gradient a
road around every block. The gradient chart shows what these runs actually do.

**What to try.** Press **Plain vs residual** to train both on the same data and
overlay them, then read the gradient chart. Switch the skip merge from
*concatenate* (the tutorial's; every block widens the next by ten) to *add* (the
width stays the same, far fewer parameters). In the tutorial's block both Dense
layers end in ReLU, so with *add* each block only adds a non-negative term; the
*classic* block form (as in ResNet) makes the last Dense linear and puts the
ReLU after the merge. The presets *residual with add* and *classic block with
add* train both with the tutorial's batches and step: the tutorial's block does
not fit the curve in 200 epochs and the classic one does (claims below). The preset *exercise: four blocks* is the tutorial's
exercise of repeating the block four times; at 200 epochs it usually fails (see
its claim below).
"""

exp, aside = ui.lesson_page("depth_residual", TEXT)
settings = exp.settings
ui.api_change("input_dim and the merge import", (
    "from keras.layers.merge import concatenate\n"
    "x = Dense(10, input_dim=1, activation='relu')(x0)\n"
    "...\n"
    "x = concatenate([x_temp, x])"), (
    "from keras import layers          # keras.layers.merge is gone\n"
    "x = layers.Dense(10, activation='relu')(x0)   # the Input gives the shape\n"
    "...\n"
    "x = layers.Concatenate()([skip, x])   # or layers.Add() to keep the width"),
    note="Keras 3 has no `keras.layers.merge` module, and warns about `input_dim` on a "
         "layer (*Do not pass an input_shape/input_dim argument to a layer*): the shape "
         "comes from `keras.Input(shape=(1,))`.")
with aside:
    st.metric("Depth, as the tutorial counts", f"{settings.depth()} layers",
              help="Input and output layers included; merges not counted.")


st.subheader("Plain vs residual, same data, same seed")
variants = {"plain": settings.replace(residual=False), "residual": settings.replace(residual=True)}
duel = ui.compare_panel("duel", "Plain vs residual", variants, metric="loss")
plots = ui.plots_of("depth_residual")
if duel:
    plots.compared(duel, "duel")

run = ui.train_panel(exp, live=plots.live,
                     title="Train this network")
if run is not None:
    ui.final_metrics(run)
    plots.finished(run)
ui.claims_box(exp, aside, run)
