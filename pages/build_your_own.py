"""Build your own: a free-form multi-branch network on toy data (issue 5, part 7)."""
import numpy as np
import streamlit as st

from mbcore import ui
from mbcore.views import figures
from mbcore.tasks.build_your_own import FEATURE_SETS, TARGETS, feature_width

TEXT = """
**The idea.** Put the lessons together yourself. Every sample is one hidden
number x between 0 and 1. Each **input** shows the network a few features of
that x (x itself, x², sin and cos of 2πx, a noisy copy, or pure noise), and
each **output** asks for one function of x. The network must combine what its
inputs see to answer what its outputs ask.

**The controls.**
- *Number of inputs* (1–4) and, for each, its *features* and its **branch**:
  how many Dense layers, how wide, with which activation, and whether each
  layer is followed by dropout (20 % of the units switched off while training).
  A branch with 0 layers hands its input's features straight to the merge.
- *Merge mode*: how the branches are joined (not needed with one input).
  *Layers after the merge* and their width form the shared trunk.
- *Number of outputs* (1–2) and, for each, its *target*, its *loss* and its
  *loss weight*. Training minimises the weighted sum of the output losses.
  A yes/no target (x > 0.5) wants binary cross-entropy, which gives that
  output a sigmoid and an accuracy; the numeric targets want mse, mae or huber.

**The merge shape rules.** *concatenate* takes any widths and adds them up.
*add*, *average*, *multiply*, *maximum* and *minimum* combine matching
features, so every branch must have the same width. *subtract* takes exactly
two branches of equal width. *dot* and *cosine* also take exactly two of equal
width and leave one number per sample. A merge that breaks a rule is refused
with the reason and the way out; your other settings stay as they are.

**What to try.** Give one input *pure noise* and watch whether the outputs
care. Feed only *x* with no branch layers and compare with *sin and cos*: the
right features make a small network enough. Set an output's loss weight to 0
and watch it stop learning. Switch the merge to *add* and make the widths
match.
"""

exp, aside = ui.lesson_page("build_your_own", TEXT)
settings = exp.settings
with aside, st.expander("The toy data: features and targets"):
    ui.table([{"input features": name, "columns": feature_width(name)} for name in FEATURE_SETS])
    ui.table([{"output target": name, "kind": "yes/no" if yes_no else "number"}
              for name, (_, yes_no) in TARGETS.items()])


def fits(run) -> None:
    """Each output's prediction against its target on the validation points.

    Drawn inside the live training view, so it follows the training when the
    worker sends predictions along with its progress."""
    data = ui.dataset(run.settings)
    x = data.info["x_val"]
    st.caption("Each output's prediction against its exact target on the "
               "validation points, which training never sees.")
    n = run.settings.outputs        # two across at most, so each plot keeps its title
    cols = [c for _ in range(0, n, 2) for c in st.columns(2)][:n]
    for j, col in enumerate(cols, 1):
        name, target = f"output_{j}", run.settings.target(j)
        pred, exact = run.predictions.get(name), np.ravel(data.y_val[name])
        if pred is None:
            continue
        title = f"Output {j}: {target}"
        if TARGETS[target][1]:
            right = np.mean((np.ravel(pred) > 0.5) == (exact > 0.5))
            title += f" · {right:.0%} right"
        with col:
            ui.chart(figures.fit(x, exact, {"prediction": pred}, title, target),
                     key=f"fit_{name}")


run = ui.train_panel(exp, live=fits)
if run is not None:
    ui.final_metrics(run)
