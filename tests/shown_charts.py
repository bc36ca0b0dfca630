"""Every Plotly chart an AppTest page shows, wherever it is drawn.

A page's own charts are `st.plotly_chart` elements; a training panel's charts
(loss, metrics, the lesson's fits, A and B) are drawn together in one custom
component frame (mbcore/ui/chart_panel.py), whose arguments carry each
figure. Tests read both the same way: (figure, Plotly config) pairs.
"""
from __future__ import annotations

import json

PANEL = "chart_panel"


def charts(at) -> list[tuple[dict, dict]]:
    """(figure dict, config dict) of every chart on the page, in page order."""
    shown = []
    for el in at.get("plotly_chart"):
        shown.append((json.loads(el.proto.spec), json.loads(el.proto.config)))
    for el in at.get("component_instance"):
        if el.proto.component_name.endswith(PANEL):
            rows = json.loads(json.loads(el.proto.json_args)["rows"])
            shown += [(c["figure"], c["config"]) for r in rows for c in r["charts"]]
    return shown


def figures(at) -> list[dict]:
    return [fig for fig, _ in charts(at)]


def titles(at) -> list[str]:
    return [fig["layout"].get("title", {}).get("text", "") for fig in figures(at)]


def by_key(at, key: str) -> dict:
    """The figure drawn at `key` (a panel's chart, or an st.plotly_chart)."""
    for el in at.get("component_instance"):
        if el.proto.component_name.endswith(PANEL):
            rows = json.loads(json.loads(el.proto.json_args)["rows"])
            for chart in (c for r in rows for c in r["charts"]):
                if chart["key"] == key:
                    return chart["figure"]
    return json.loads(at.get_by_key(key).proto.spec)
