"""Landing page: what multi-branch networks are, and a card per lesson."""
from pathlib import Path

import streamlit as st

from mbcore.lessons import LESSONS

ROOT = Path(__file__).parent

st.set_page_config(page_title="Multi-branch networks", page_icon="🔀", layout="wide")

st.title("Multi-branch neural networks")
st.markdown(
    """
A plain network is a single chain: one input, one stack of layers, one output.
Real problems are rarely that tidy. A headline comes with the hour it was posted;
a photo comes with a tag; a physics model must predict two quantities at once.
**Multi-branch networks** give each input its own pathway (a *branch*), join the
pathways with a **merge** layer, and may end in several **outputs**, each with
its own loss.

Each lesson below is a small, live experiment. Move a slider and the model
summary and diagram change at once; press **Train** and watch the curves grow
while the model learns on a toy task made for the lesson. Every lesson starts
from the settings of the tutorial it comes from, so you can reproduce the
original result before you change it.
"""
)

st.subheader("Lessons")
cols = st.columns(2)
for i, lesson in enumerate(LESSONS.values()):
    page = ROOT / "pages" / f"{i + 1}_{lesson.id}.py"
    with cols[i % 2].container(border=True):
        st.markdown(f"**{i + 1}. {lesson.title}**  \n{lesson.blurb}")
        if page.exists():
            st.page_link(str(page.relative_to(ROOT)), label=f"Open: {lesson.title}", icon="▶️")
        else:
            st.caption(f"Lesson id `{lesson.id}`: use `python -m mbcore summary {lesson.id}`.")

st.caption("Built on Keras 3 and TensorFlow. The same lessons are available from the command "
           "line: `python -m mbcore lessons`.")
