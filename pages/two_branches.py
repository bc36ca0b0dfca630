"""Lesson two_branches: two inputs, one classifier (tutorial 000)."""
import streamlit as st

from mbcore import ui
from mbcore.views import figures
from mbcore.views import tables

TEXT = """
**The idea.** Some samples arrive as two separate pieces. Here each sample is a
pair of vectors of 784 numbers (the size of a 28 × 28 picture). Each vector gets
its own *branch*, a single `Dense(32)` with no activation, and a **merge** layer
joins the two branches before a softmax layer picks one of ten classes. With
concatenation that is 2 × (784 × 32 + 32) + (64 × 10 + 10) = **50,890** parameters.

**What to try.** Train first on the tutorial's own data, which is *pure noise*:
inputs and labels drawn at random. Then switch the data to *learnable*: a faint
pattern in the left input names one of five rows, one in the right input names
one of two columns, and the class is the (row, column) pair, so no single input
can name it. Then try other merge modes and branch widths.

**What to look for.** On noise, training accuracy climbs because the network
memorises 1,000 samples, while held-out accuracy stays near 10 %, the chance
level for ten classes: nothing was learned. On learnable data both go up
together. The confusion matrix shows which classes are mixed up; a model that
saw only one input would confuse classes that share a row or a column.
"""

exp, aside = ui.lesson_page("two_branches", TEXT)
settings = exp.settings
ui.api_change("Merge", *tables.merge_code(settings.merge), note=(
    "The `Merge` layer was deprecated in Keras 2.0 and removed in Keras 2.2 (and "
    "`nb_epoch` became `epochs` in Keras 2.0): each mode became a layer of its own, called "
    "on the list of branch tensors, and two inputs need the functional API, not `Sequential`."))


def confusion(run) -> None:
    """Held-out samples, true against predicted class, beside what chance and one
    branch alone could reach (drawn for A and for B in an A/B compare)."""
    pred = run.predictions.get("class_output")
    if pred is None:
        return
    data = ui.dataset(run.settings)
    matrix = tables.confusion_matrix(data.y_val["class_output"], pred)
    a, b = st.columns(2)
    with a:
        ui.chart(figures.confusion(matrix, "True vs predicted (held-out)"),
                 key="confusion")
    with b:
        st.markdown(f"Chance level: **{data.info['chance']:.0%}**. Best possible "
                    f"with the left input alone: **{data.info['best_left_only']:.0%}**,"
                    f" with the right input alone: **{data.info['best_right_only']:.0%}**.")


run = ui.train_panel(exp, live=confusion)
if run is not None:
    ui.final_metrics(run, {"training accuracy": run.find("accuracy"),
                           "held-out accuracy": run.find("accuracy", val=True)})
ui.claims_box(exp, aside, run)
