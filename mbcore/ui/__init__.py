"""The one Streamlit package: what every lesson page shares.

Nothing else in mbcore imports Streamlit. Widgets are generated from the
settings table, the model view comes from the Graph (no TensorFlow in the
server), and training only talks to jobs running in worker processes.
"""
from mbcore.ui.controls import apply_preset, settings_panel, widget
from mbcore.ui.frame import api_change, chart, dataset, lesson_page, lesson_text, page, table
from mbcore.ui.model import code_panel, graph_or_error, model_view
from mbcore.ui.results import class_plots
from mbcore.ui.training import compare_panel, final_metrics, train_panel

__all__ = ["api_change", "apply_preset", "chart", "class_plots", "code_panel", "compare_panel", "dataset",
           "final_metrics", "graph_or_error", "lesson_page", "lesson_text", "model_view",
           "page", "settings_panel", "table", "train_panel", "widget"]
