"""Every Plotly chart an AppTest page shows, wherever it is drawn.

A page's own charts are `st.plotly_chart` elements; a training panel's charts
(loss, metrics, the lesson's fits, A and B) are drawn together in one custom
component frame (mbcore/ui/chart_panel.py), whose arguments carry each
figure. Tests read both the same way: (figure, Plotly config) pairs.
"""
from __future__ import annotations

import json

PANEL = "chart_panel"


def _panel_charts(at):
    """The charts of every chart panel on the page: {key, figure, config, height}."""
    for el in at.get("component_instance"):
        if el.proto.component_name.endswith(PANEL):
            rows = json.loads(json.loads(el.proto.json_args)["rows"])
            yield from (c for r in rows for c in r["charts"])


def charts(at) -> list[tuple[dict, dict]]:
    """(figure dict, config dict) of every chart on the page: Streamlit's own first,
    then the panels'."""
    shown = [(json.loads(el.proto.spec), json.loads(el.proto.config))
             for el in at.get("plotly_chart")]
    return shown + [(c["figure"], c["config"]) for c in _panel_charts(at)]


def figures(at) -> list[dict]:
    return [fig for fig, _ in charts(at)]


def titles(at) -> list[str]:
    return [fig["layout"].get("title", {}).get("text", "") for fig in figures(at)]


def by_key(at, key: str) -> dict:
    """The figure drawn at `key` (a panel's chart, or an st.plotly_chart)."""
    found = next((c["figure"] for c in _panel_charts(at) if c["key"] == key), None)
    return found if found is not None else json.loads(at.get_by_key(key).proto.spec)
