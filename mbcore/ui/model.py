"""The model view: parameter count, diagram, summary table and the Keras script.

Everything here comes from the Graph, so the server never imports TensorFlow.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from mbcore.lessons import Experiment
from mbcore.network.diagram import folded, to_dot
from mbcore.network.summary import summary_rows
from mbcore.settings import Settings, SettingsError
from mbcore.views.export import script


@st.cache_resource(show_spinner=False, max_entries=32)
def experiment(settings: Settings) -> Experiment:
    """The lesson resolved for these settings, shared by every session (read-only);
    its data is made on first use and kept with it."""
    return Experiment.of(settings)


def experiment_or_error(settings: Settings | None) -> Experiment | None:
    """The Experiment for these settings, or None after showing why it cannot be built."""
    if settings is None:
        return None
    try:
        return experiment(settings)
    except SettingsError as err:
        st.error(f"This network cannot be built: {err}")
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _summary(settings: Settings) -> list[dict]:
    return [{"layer": r.name, "type": r.type, "output shape": r.output_shape,
             "params": r.params, "connected to": ", ".join(r.inbound)}
            for r in summary_rows(experiment(settings).graph)]


# The diagram's box (CSS for its SVG, laid out with a viewBox so it scales as a
# whole): as tall as a good part of the screen, never more, so every input and
# output is in view; in presenter mode it also grows to its column's width.
DIAGRAM_CSS = """<style>
.st-key-mb_diagram [data-testid="stGraphVizChart"] svg { %s }
</style>"""
# (CSS, st.graphviz_chart's width): below it the training panel starts; beside it
DIAGRAM_BOX = ("max-height: 62vh; width: auto;", "content")
PRESENTER_DIAGRAM_BOX = ("max-height: 72vh; width: 100%; height: auto;", "stretch")
EVERY_LAYER_BOX = 520              # px: the expanded diagram scrolls inside this


def model_view(exp: Experiment, rankdir: str = "TB", where=st,
               box: tuple[str, str] = DIAGRAM_BOX) -> None:
    """Parameter count, then the diagram (`box`: its SVG's CSS and width), the summary
    table and the code as tabs."""
    graph, rows = exp.graph, _summary(exp.settings)
    with where.container():
        a, b, c = st.columns(3)
        a.metric("Parameters", f"{graph.params:,}")
        b.metric("Keras layers", len(graph.nodes),
                 help="Every layer, inputs and merge layers included (the diagram "
                 "may fold a run of identical blocks into one node).")
        c.metric("Inputs → outputs", f"{len(graph.inputs)} → {len(graph.outputs)}")
        diagram, table, code = st.tabs(["Diagram", "Summary table", "Keras code"])
        with diagram:
            diagram_panel(exp, rankdir, box)
        with table:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.caption(f"Total params: {graph.params:,} · trainable: {graph.params:,} · "
                       "non-trainable: 0")
        with code:
            code_panel(exp)


def diagram_panel(exp: Experiment, rankdir: str = "TB",
                  box: tuple[str, str] = DIAGRAM_BOX) -> None:
    """The diagram fitted to its box, repeated blocks folded; a toggle draws every layer."""
    graph = exp.graph
    expand = False
    if folded(graph):
        expand = st.toggle(f"Show all {len(graph.nodes)} layers", key=f"{exp.id}/every_layer",
                           help="The diagram draws a run of identical blocks as its first "
                                "block and one node for the rest; this draws each layer.")
    if expand:      # a deep net scrolls inside a box instead of stretching the page
        st.container(height=EVERY_LAYER_BOX).graphviz_chart(
            redrawn_dot(exp.settings, rankdir, expand=True))
        return
    css, width = box
    st.html(DIAGRAM_CSS % css)
    st.container(key="mb_diagram").graphviz_chart(redrawn_dot(exp.settings, rankdir),
                                                  width=width)


@st.cache_data(show_spinner=False, max_entries=256)
def redrawn_dot(settings: Settings, rankdir: str = "TB", expand: bool = False) -> str:
    """The diagram's DOT for st.graphviz_chart, its IDs prefixed with a hash of it.

    Why: the browser's Graphviz view (d3-graphviz) morphs every node and edge
    whose ID it drew before into its new shape, sampling each path point by
    point: 1.5-4 s for a small diagram on a busy 2-core machine, before the
    page showed the new parameter count. With IDs new whenever the diagram
    changes, it draws the new one at once; an unchanged diagram keeps its
    IDs (and is not redrawn at all)."""
    graph = experiment(settings).graph
    tag = hashlib.sha1(to_dot(graph, rankdir=rankdir, expand=expand).encode()).hexdigest()[:8]
    return to_dot(graph, rankdir=rankdir, expand=expand, id_prefix=f"d{tag}_")


@st.cache_data(show_spinner=False, max_entries=64)
def _script(settings: Settings) -> str:
    return script(experiment(settings))


def code_panel(exp: Experiment) -> None:
    """Show me the code: the complete script for these settings, to run at home."""
    lesson, settings = exp.lesson, exp.settings
    st.caption("The whole experiment as one Keras 3 script: data, model, training and "
               "evaluation. It needs only NumPy and TensorFlow, prints the model summary "
               "(the same parameter count as above) and trains.")
    text = _script(settings)
    st.download_button("Download the script", text, icon=":material/download:", file_name=f"{lesson.id}.py",
                       mime="text/x-python", key="download_script")
    st.code(text, language="python", height=420)
    if lesson.keras1 is not None:
        with st.expander("Keras 1/2 version (the source tutorial's API)"):
            st.code(lesson.keras1(settings), language="python")


