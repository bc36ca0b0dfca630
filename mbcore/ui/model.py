"""The model view: parameter count, diagram, summary table and the Keras script.

Everything here comes from the Graph, so the server never imports TensorFlow.
"""
from __future__ import annotations

import streamlit as st

from mbcore.diagram import to_dot
from mbcore.lessons import get_lesson
from mbcore.settings import Settings, SettingsError
from mbcore.summary import summary_rows


@st.cache_data(show_spinner=False, max_entries=256)
def _model_view(settings: Settings):
    graph = get_lesson(type(settings).lesson_id).architecture(settings)
    rows = [{"layer": r.name, "type": r.type, "output shape": r.output_shape,
             "params": r.params, "connected to": ", ".join(r.inbound)}
            for r in summary_rows(graph)]
    return graph, rows


def graph_or_error(settings: Settings | None):
    """The Graph for these settings, or None after showing why it cannot be built."""
    if settings is None:
        return None
    try:
        return _model_view(settings)[0]
    except SettingsError as err:
        st.error(f"This network cannot be built: {err}")
        return None


def model_view(settings: Settings | None, rankdir: str = "TB", where=st):
    """Parameter count, the summary table and the diagram side by side."""
    graph = graph_or_error(settings)
    if graph is None:
        return None
    rows = _model_view(settings)[1]
    with where.container():
        a, b, c = st.columns(3)
        a.metric("Parameters", f"{graph.params:,}")
        b.metric("Keras layers", len(graph.nodes),
                 help="Every node of the diagram: inputs and merge layers count too.")
        c.metric("Inputs → outputs", f"{len(graph.inputs)} → {len(graph.outputs)}")
        diagram, table, code = st.tabs(["Diagram", "Summary table", "Keras code"])
        with diagram:   # a deep net scrolls inside a box instead of stretching the page
            box = st.container(height=680) if len(graph.nodes) > 14 else st.container()
            box.graphviz_chart(to_dot(graph, rankdir=rankdir))
        with table:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.caption(f"Total params: {graph.params:,} · trainable: {graph.params:,} · "
                       "non-trainable: 0")
        with code:
            code_panel(settings)
    return graph


@st.cache_data(show_spinner=False, max_entries=64)
def _script(settings: Settings) -> str:
    from mbcore.export import script
    return script(settings)


def code_panel(settings: Settings) -> None:
    """Show me the code: the complete script for these settings, to run at home."""
    lesson = get_lesson(type(settings).lesson_id)
    st.caption("The whole experiment as one Keras 3 script: data, model, training and "
               "evaluation. It needs only NumPy and TensorFlow, prints the model summary "
               "(the same parameter count as above) and trains.")
    text = _script(settings)
    st.download_button("⬇ Download the script", text, file_name=f"{lesson.id}.py",
                       mime="text/x-python", key="download_script")
    st.code(text, language="python", height=420)
    if lesson.keras1 is not None:
        with st.expander("Keras 1/2 version (the source tutorial's API)"):
            st.code(lesson.keras1(settings), language="python")


