"""Lesson merge_modes: every merge mode trained side by side (tutorial 004)."""
import streamlit as st

from mbcore import ui
from mbcore.views import tables

TEXT = """
**The idea.** Merging lets one network read several inputs, each through a
pathway suited to it, and learn all pathways together from one loss. It is not
an ensemble: the branches are not separate models voting, they are parts of one
model. The merge *mode* decides what the next layer sees.

**The rules.** *Concatenate* puts the branches side by side, so widths add up
and the next layer gets more weights. *Add*, *average*, *multiply*, *maximum*
and *minimum* combine matching features, so every branch must have the same
width. *Subtract* takes exactly two branches. *Dot* squeezes two equal-width
branches into one number per sample, a similarity score (*cosine* when the
vectors are normalised first).

**The formulas**, for branch outputs a and b: concatenate [a; b] · add a + b ·
subtract a − b · multiply a ⊙ b (feature by feature) · average (a + b)/2 ·
maximum and minimum, feature by feature over all branches · dot Σᵢ aᵢbᵢ ·
cosine a·b / (‖a‖ ‖b‖). A Dense layer after *concatenate* computes
W_a·a + W_b·b with its own weights for each branch; after *add* it computes
W·(a + b), the same as forcing W_a = W_b. Choose concatenate when the branches
mean different things, add or average when they are comparable views of the
same thing, multiply to let one branch gate the other, dot or cosine when the
question is how similar two vectors are.

**Why dot and cosine score so low here.** They hand the classifier one number
per sample, and one number cannot separate ten classes with a softmax layer:
in the shoot-out they end far below concatenation (the measured claims
below give the figures).

**Departing from the tutorial.** The source tutorial's branches read 784
features with no activation; here they read 64 features through a ReLU, on
data that needs both inputs, so the modes differ visibly in a few seconds.

**What to try.** Press **Shoot-out**: every mode the shapes allow is trained on
the same data from the same seed, and the curves are drawn on top of each other.
Then make the branch widths unequal: most modes are refused, and the table says
why. Does the mode matter much here? Compare final accuracy, parameters, time.
"""

exp, aside = ui.lesson_page("merge_modes", TEXT)
settings = exp.settings
ui.api_change("Merge(mode=...)", *tables.merge_code(settings.merge),
              note="Keras 1's `Merge(mode=...)` became one layer class per mode.")

st.subheader("The modes, for these branch widths")
rows = tables.merge_table(exp.lesson, settings)
allowed = [r for r in rows if r["allowed"]]
refused = [r for r in rows if not r["allowed"]]
ui.table([{k: r[k] for k in ("mode", "Keras 3 layer", "merged shape", "next layer params",
                             "params", "idea")} for r in allowed])
for r in refused:
    st.warning(f"**{r['mode']}** is not possible here: {r['reason']}")

st.subheader("Shoot-out: every allowed mode, same data, same seed")
variants = {r["mode"]: settings.replace(merge=r["mode"]) for r in allowed}
ui.compare_panel("shootout", "Shoot-out", variants, metric="accuracy")

run = ui.train_panel(exp, live=ui.class_plots,
                     title=f"Train one network: {settings.merge}")
if run is not None:
    ui.final_metrics(run)
ui.claims_box(exp, aside, run)
