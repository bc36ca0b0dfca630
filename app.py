"""The app's entry point: navigation from the lesson registry, and the landing page.

Every registered lesson is served from its own file, pages/<id>.py, at /<id>;
the landing page lives here and is served at /. Building the navigation from
the registry names the pages by their lesson titles (Streamlit's automatic
pages/ listing would show the file names, and this file as "app"). A lesson
without its page file is an error at start-up, not a silently missing page.
"""
from pathlib import Path

import streamlit as st

from mbcore.engine.engine import shared_engine
from mbcore.lessons import ALL_LESSONS, BUILD_YOUR_OWN, LESSONS

ROOT = Path(__file__).parent
ICON = ":material/call_split:"     # a Material icon: no emoji font needed


def lesson_pages() -> dict[str, st.Page]:
    """Every lesson's page, by lesson id, in registry order."""
    return {lesson.id: st.Page(ROOT / "pages" / f"{lesson.id}.py", title=lesson.title,
                               url_path=lesson.id)
            for lesson in ALL_LESSONS.values()}


def landing() -> None:
    """What multi-branch networks are, and a card per lesson."""
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
while the model learns on a toy task made for the lesson. Where the tutorial
it comes from gives its settings, a lesson starts from them, so you can
reproduce the original result before you change it (each lesson says where it
departs from its tutorial, and why). The last page puts it all together:
design your own network, from its inputs to its outputs.
"""
    )
    st.subheader("Lessons")
    cols = st.columns(2)
    for number, lesson in enumerate(ALL_LESSONS.values(), 1):
        with cols[(number - 1) % 2].container(border=True):
            st.markdown(f"**{number}. {lesson.title}**  \n{lesson.blurb}")
            st.page_link(PAGES[lesson.id], label=f"Open: {lesson.title}",
                         icon=":material/play_circle:")
    st.caption("Built on Keras 3 and TensorFlow. The same lessons are available from the "
               "command line: `python -m mbcore lessons`.")


# The local worker pool starts with the server's first page, not at the first Train:
# each worker loads TensorFlow before it is asked for anything.
shared_engine()     # local: the pool; cluster: no local workers at all
PAGES = lesson_pages()
# A lecture's walkthrough (presenter view) and the students' page of a class room.
LECTURE = [st.Page(ROOT / "pages" / "walkthrough.py", title="Lecture walkthrough",
                   url_path="walkthrough", icon=":material/co_present:"),
           st.Page(ROOT / "pages" / "join.py", title="Join a class", url_path="join",
                   icon=":material/groups:")]
HOME = st.Page(landing, title="Overview", icon=":material/home:", default=True)
st.set_page_config(page_title="Multi-branch networks", page_icon=ICON, layout="wide")
st.navigation({
    "": [HOME],
    "Lessons": [PAGES[lesson_id] for lesson_id in LESSONS],
    "Build your own": [PAGES[BUILD_YOUR_OWN.id]],
    "Lecture": LECTURE,
}).run()
