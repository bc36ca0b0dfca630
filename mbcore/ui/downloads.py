"""One Downloads box under a finished result: model, history, diagram, plots.

Large files (the model, the HTML with Plotly inside) are handed to Streamlit as
callables, so they are only put together when someone clicks; every button is
`on_click="ignore"`: a download never reruns the page.
"""
from __future__ import annotations

import streamlit as st

from mbcore.engine.watch import PENDING, model_file
from mbcore.network.diagram import to_dot
from mbcore.ui.model import experiment
from mbcore.views import downloads

PNG_NOTE = ("A single plot as PNG: the camera icon in the plot's toolbar (top right, "
            "shown when the pointer is over the plot).")


@st.cache_data(show_spinner=False, max_entries=64)
def _svg(dot: str) -> bytes | None:
    return downloads.diagram_svg(dot)


def downloads_panel(run, figures: list, slot: str) -> None:
    """The result's files, in one expander: .keras, CSV, DOT and SVG, plots as HTML.

    `figures` ((label, figure) pairs) may still grow after this call: the HTML
    holds what it has when the button is clicked."""
    exp = experiment(run.settings)
    lesson = exp.lesson
    stem = downloads.file_stem(lesson.id, f"{run.epoch}epochs")
    dot = to_dot(exp.graph, expand=True)      # a file: every layer, nothing folded
    with st.expander("Downloads: model, history, diagram, plots", icon=":material/download:"):
        row = st.container(horizontal=True)
        model, why_not = model_file(run)
        if model is not None or why_not == PENDING:   # fetched on click: no session copy
            # (a file still being written is waited for, at most a minute)
            row.download_button("Model (.keras)", lambda: model_file(run, 60.0)[0] or b"",
                                file_name=f"{stem}.keras",
                                mime="application/zip", key=f"{slot}_dl_keras",
                                on_click="ignore",
                                help="keras.models.load_model('…keras') gives the trained "
                                     "model, compiled like the exported script and with its "
                                     "optimizer's state, so it can also train on.")
        row.download_button("History (.csv)", downloads.history_csv(run.history),
                            file_name=f"{stem}-history.csv", mime="text/csv",
                            key=f"{slot}_dl_csv", on_click="ignore",
                            help="One row per epoch, one column per curve.")
        row.download_button("Diagram (.dot)", dot, file_name=f"{lesson.id}.dot",
                            mime="text/vnd.graphviz", key=f"{slot}_dl_dot", on_click="ignore")
        svg = _svg(dot)
        if svg is not None:
            row.download_button("Diagram (.svg)", svg, file_name=f"{lesson.id}.svg",
                                mime="image/svg+xml", key=f"{slot}_dl_svg", on_click="ignore")
        if figures is not None:   # filled until the page run ends; read on the click
            title = f"{lesson.title}: {run.epoch} epochs"
            row.download_button("Plots (.html)",
                                lambda: downloads.figures_html(list(figures), title),
                                file_name=f"{stem}-plots.html", mime="text/html",
                                key=f"{slot}_dl_html", on_click="ignore",
                                help="Every plot of this result in one interactive page that "
                                     "also works offline (Plotly is inside, about 5 MB).")
        notes = [PNG_NOTE]
        if model is None and why_not != PENDING:
            notes.append(f"No model file: {why_not}.")
        if svg is None:
            notes.append("No SVG here: this server has no Graphviz `dot` program. The DOT file "
                         "opens in any Graphviz viewer, or `dot -Tsvg lesson.dot > lesson.svg`.")
        st.caption(" ".join(notes))

