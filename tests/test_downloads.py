"""Downloads produce files that open elsewhere: the worker's .keras loads in Keras and
is the trained model, the history CSV, the diagram's DOT and SVG, the plots' HTML."""
import csv
import io
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pydot
import pytest

from mbcore.views import downloads
from mbcore.views import figures
from mbcore.network.diagram import to_dot
from mbcore.engine.runner import JobRunner, TrainJob
from mbcore.lessons import get_lesson
from mbcore.lessons import Experiment

# Two shapes of network: two inputs and two regression outputs; words through an
# embedding and an LSTM with a main and an auxiliary classification output.
SMALL = {
    "multi_io": {"n_train": 200, "n_val": 50, "left_depth": 2, "right_depth": 2},
    "aux_output": {"embed_dim": 8, "seq_len": 10, "vocab": 500, "n_samples": 200},
}
EPOCHS = 3


@pytest.fixture(scope="module")
def results():
    """One short training per lesson, through a real worker process."""
    runner = JobRunner(workers=1)
    try:
        settings = {lid: get_lesson(lid).settings_cls(**values) for lid, values in SMALL.items()}
        jobs = {lid: runner.start(TrainJob(s, epochs=EPOCHS)) for lid, s in settings.items()}
        yield {lid: (settings[lid], runner.wait(job, timeout=240)) for lid, job in jobs.items()}
    finally:
        runner.shutdown()


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def load(keras, blob: bytes, tmp_path):
    """load_model on the downloaded bytes; it must not warn (e.g. of a mismatched optimizer)."""
    path = tmp_path / "model.keras"
    path.write_bytes(blob)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return keras.models.load_model(path)


def inputs_of(settings, data) -> dict:
    graph = get_lesson(type(settings).lesson_id).architecture(settings)
    return {k: data.x_val[k] for k in graph.inputs}


@pytest.mark.parametrize("lesson_id", SMALL)
def test_keras_file_is_the_trained_model(results, keras, tmp_path, lesson_id):
    settings, result = results[lesson_id]
    assert result.status == "done"
    model = load(keras, result.keras, tmp_path)
    assert model.count_params() == get_lesson(lesson_id).architecture(settings).params
    data = Experiment.of(settings).data
    predicted = model.predict(inputs_of(settings, data), verbose=0)
    predicted = dict(zip(model.output_names, predicted if isinstance(predicted, list)
                         else [predicted]))
    assert set(predicted) == set(result.predictions)
    for name, values in result.predictions.items():
        np.testing.assert_allclose(predicted[name], np.asarray(values), rtol=1e-4, atol=1e-5)


def test_keras_file_is_compiled_like_the_lesson(results, keras, tmp_path):
    """Loaded at home, the model evaluates to the validation loss the page showed,
    and its optimizer has taken the steps the training took."""
    settings, result = results["multi_io"]
    model = load(keras, result.keras, tmp_path)
    data = Experiment.of(settings).data
    targets = {k: data.y_val[k] for k in model.output_names}
    scores = model.evaluate(inputs_of(settings, data), targets, verbose=0, return_dict=True)
    assert scores["loss"] == pytest.approx(result.history["val_loss"][-1], rel=1e-3)
    # the optimizer carries on where the page's training stopped
    steps = -(-len(data.y_train["sin_output"]) // settings.batch_size)
    assert int(model.optimizer.iterations) == EPOCHS * steps


def test_history_csv_has_one_row_per_epoch_and_a_column_per_curve(results):
    history = results["aux_output"][1].history
    rows = list(csv.DictReader(io.StringIO(downloads.history_csv(history))))
    assert list(rows[0]) == ["epoch", *history]
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    for name, values in history.items():
        assert [float(r[name]) for r in rows] == values      # exact: written with repr


def test_history_csv_of_unequal_curves_leaves_cells_empty():
    rows = list(csv.reader(io.StringIO(downloads.history_csv({"loss": [1.0, 0.5],
                                                              "val_loss": [2.0]}))))
    assert rows == [["epoch", "loss", "val_loss"], ["1", "1.0", "2.0"], ["2", "0.5", ""]]


@pytest.mark.parametrize("lesson_id", SMALL)
def test_diagram_dot_parses_and_svg_is_svg(lesson_id):
    lesson = get_lesson(lesson_id)
    graph = lesson.architecture(lesson.settings_cls(**SMALL[lesson_id]))
    dot = to_dot(graph, expand=True)      # the download draws every layer
    parsed = pydot.graph_from_dot_data(dot)[0]
    names = {n.get_name().strip('"') for g in [parsed, *parsed.get_subgraphs()]
             for n in g.get_nodes()}
    assert {n.name for n in graph.nodes} <= names
    if not downloads.svg_available():
        assert downloads.diagram_svg(dot) is None
        pytest.skip("Graphviz's dot is not installed here: the page offers DOT only")
    root = ET.fromstring(downloads.diagram_svg(dot))
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert all(n.name in text for n in graph.nodes)


def test_plots_html_holds_every_figure_and_plotly_once():
    figs = [figures.curves({"loss": [1.0, 0.5]}, "Loss"),
            figures.fit([0, 1], [0, 1], {"prediction": np.array([0.1, 0.9])}, "Fit")]
    html = downloads.figures_html([("", figs[0]), ("A (pinned)", figs[1])], "multi_io <3 epochs>")
    assert html.count("Plotly.newPlot(") == 2
    assert '"text":"A (pinned): Fit"' in html and '"text":"Loss"' in html
    assert html.count("plotly.js v") == 1              # the library's banner, written once
    assert "<title>multi_io &lt;3 epochs&gt;</title>" in html


def test_file_stem_is_safe_and_readable():
    assert downloads.file_stem("multi_io", "A", "fit_sin_output") == "multi_io-A-fit_sin_output"
    assert downloads.file_stem("", "sin(2πx) on validation / points") == \
        "sin_2_x_on_validation_points"
