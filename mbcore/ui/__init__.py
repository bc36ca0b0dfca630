"""The one Streamlit package: what every lesson page shares.

Nothing else in mbcore imports Streamlit (a test checks). Widgets are
generated from the settings table, the model view comes from the Graph (no
TensorFlow in the server), and training only talks to jobs running in worker
processes. These are the names the pages use.
"""
from mbcore.ui.claims import claims_box
from mbcore.ui.frame import api_change, chart, dataset, lesson_page, table
from mbcore.ui.lesson_plots import plots_of
from mbcore.ui.results import class_plots
from mbcore.ui.training import compare_panel, final_metrics, train_panel

__all__ = ["api_change", "chart", "claims_box", "class_plots", "compare_panel", "dataset",
           "final_metrics", "lesson_page", "plots_of", "table",
           "train_panel"]
