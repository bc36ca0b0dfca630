"""Lesson mlp_shapes: a sequential MLP and its weight shapes (tutorial 003)."""
import streamlit as st

from mbcore import ui
from mbcore.views import figures
from mbcore.views import tables

TEXT = """
**The idea.** A Dense layer that turns *n* inputs into *m* outputs keeps one
weight matrix of shape **[n, m]** and a bias of length *m*. Nothing in it
depends on how many samples you feed at once. A batch of *b* samples enters as a
matrix **[b, n]**, is multiplied by the weights, and leaves as **[b, m]**; the
last layer leaves as [b, classes], which is why the labels are one-hot rows of
the same shape. One sample at a time is simply the case b = 1.

**The model** is the Keras guide's: `Dense(64, relu)`, `Dropout(0.5)`,
`Dense(64, relu)`, `Dropout(0.5)`, `Dense(10, softmax)`: **6,154** parameters,
trained with SGD (learning rate 0.01, Nesterov momentum 0.9) on random data.

**What to try.** Move the batch size: the activation shapes change, the weight
shapes do not. Change the hidden width or the number of layers: now the weights
change. After training, look at a layer's weights as a heatmap. The data are
random labels, so test accuracy near 1/classes is the honest answer; dropout
makes memorising them harder, so compare training accuracy with and without it.
"""

exp, aside = ui.lesson_page("mlp_shapes", TEXT)
settings, graph = exp.settings, exp.graph
ui.api_change("SGD(decay=...)", (
    "sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)"), (
    "schedule = keras.optimizers.schedules.InverseTimeDecay(\n"
    "    initial_learning_rate=0.01, decay_steps=1, decay_rate=1e-6)\n"
    "sgd = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9,\n"
    "                           nesterov=True)"),
    note="In Keras 3, `lr=` stops with `ValueError: Argument(s) not recognized`, but "
         "`decay=` is *accepted*: a warning says it *will be ignored*, and training runs "
         "on at a constant rate. That silence is the trap. The same slow-down, "
         "lr / (1 + decay · step), is a learning-rate schedule.")

st.subheader(f"Weights and activations for a batch of {settings.batch_size}")
ui.table(tables.weight_shapes(graph, settings.batch_size))
st.caption("The weight shapes do not mention the batch size; the activation shapes start "
           "with it. Move *Batch size* in the sidebar and compare.")

run = ui.train_panel(exp, live=ui.class_plots)
if run is not None:
    ui.final_metrics(run, {"training accuracy": run.find("accuracy"),
                           "test accuracy": run.find("accuracy", val=True)})
    weights = run.insights.get("weights") or {}
    if weights:
        layer = st.selectbox("Layer to look at", list(weights), key="weights_layer")
        kernel = weights[layer]
        ui.chart(figures.heatmap(kernel, f"{layer}: weights, shape {list(kernel.shape)}",
                                 "unit in this layer", "input feature"))
ui.claims_box(exp, aside, run)
