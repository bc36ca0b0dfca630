"""The core: facts from the seeds, merge rules, graph against Keras, data, DOT."""
import dataclasses

import numpy as np
import pydot
import pytest

from mbcore.network.builder import build_model as build_graph, initial_weights
from mbcore.lessons import ALL_LESSONS, Experiment, get_lesson
from mbcore.lessons.aux_output import TUTORIAL_SIZE
from mbcore.network.merges import MERGE_NAMES, MergeError
from mbcore.settings import SettingsError
from mbcore.network.summary import summary_rows


def architecture(s):
    return Experiment.of(s).graph


def build_model(s):
    exp = Experiment.of(s)
    return build_graph(exp.graph, exp.recipe.seed, exp.id)


def make_data(s):
    return Experiment.of(s).data


def settings(lesson_id, **changes):
    return get_lesson(lesson_id).settings_cls(**changes)


SEED_FACTS = [
    ("two_branches", {}, 50_890),
    ("aux_output", TUTORIAL_SIZE, 5_200_610),
    ("aux_output", {}, 83_170),
    ("depth_residual", {"residual": True, "blocks": 20, "merge": "concatenate"}, 23_631),
    ("depth_residual", {"residual": False}, 1_131),
    ("mlp_shapes", {}, 6_154),
]


@pytest.mark.parametrize("lesson_id,changes,params", SEED_FACTS)
def test_seed_parameter_counts(lesson_id, changes, params):
    s = settings(lesson_id, **changes)
    assert architecture(s).params == params
    assert build_model(s).count_params() == params


def test_depth_residual_layer_counts_match_the_seed():
    # The seed counts input and output: 12 layers plain, 42 residual.
    assert settings("depth_residual", residual=False).depth() == 12
    assert settings("depth_residual").depth() == 42


VARIANTS = [
    ("two_branches", {"merge": "add"}), ("two_branches", {"merge": "cosine"}),
    ("merge_modes", {"left_units": 8, "right_units": 16}),
    ("multi_io", {"head_depth": 2, "merge": "multiply"}),
    ("aux_output", {"vocab": 500, "embed_dim": 16, "seq_len": 12}),
    ("depth_residual", {"merge": "add", "blocks": 3}),
    ("mlp_shapes", {"hidden_layers": 3, "units": 7, "classes": 4}),
    ("multimodal", {"branches": "image"}), ("multimodal", {"merge": "add", "kernel": 5}),
    ("build_your_own", {"inputs": 4, "input_4": "powers of x", "branch_4_layers": 0}),
    ("build_your_own", {"inputs": 1, "outputs": 1, "branch_1_type": "dense + dropout"}),
    ("build_your_own", {"output_2_target": "x > 0.5 (yes/no)",
                        "output_2_loss": "binary_crossentropy"}),
] + [(lid, {}) for lid in ALL_LESSONS]


@pytest.mark.parametrize("lesson_id,changes", VARIANTS)
def test_graph_summary_agrees_with_keras(lesson_id, changes):
    """The server's Keras-free summary must match the model Keras builds."""
    s = settings(lesson_id, **changes)
    rows = summary_rows(architecture(s))
    model = build_model(s)
    assert sorted(r.name for r in rows) == sorted(layer.name for layer in model.layers)
    by_name = {layer.name: layer for layer in model.layers}
    for row in rows:
        layer = by_name[row.name]
        assert row.params == layer.count_params(), row.name
        assert row.output_shape == str(tuple(layer.output.shape)).replace(",)", ")"), row.name
        assert row.type == type(layer).__name__
        inbound = [t._keras_history[0].name for n in layer._inbound_nodes for t in n.input_tensors]
        assert list(row.inbound) == inbound
    assert list(model.output_names) == architecture(s).outputs
    assert [t.name for t in model.inputs] == architecture(s).inputs


@pytest.mark.parametrize("lesson_id,changes", VARIANTS)
def test_initial_weights_are_those_keras_builds(lesson_id, changes):
    """A worker reusing a traced model for a new seed takes initial_weights
    instead of building: they must be exactly the weights build_model gives
    (the oracle), or None where they cannot be told (an LSTM's bias)."""
    s = settings(lesson_id, **changes)
    exp = Experiment.of(s)
    traced = build_graph(exp.graph, 1, exp.id)
    weights = initial_weights(exp.graph, 7, traced)
    if any(type(layer).__name__ == "LSTM" for layer in traced.layers):
        assert weights is None
        return
    fresh = build_graph(exp.graph, 7, exp.id)
    assert len(weights) == len(fresh.variables)
    for made, built in zip(weights, fresh.variables):
        np.testing.assert_array_equal(made, built.numpy(), err_msg=built.path)
    assert any(not np.array_equal(made, old.numpy())      # the seed was honoured
               for made, old in zip(weights, traced.variables))


EQUAL_WIDTH_MODES = [m for m in MERGE_NAMES if m != "concatenate"]


@pytest.mark.parametrize("mode", MERGE_NAMES)
def test_every_merge_mode_builds_on_equal_widths(mode):
    s = settings("two_branches", merge=mode, left_units=16, right_units=16, features=8)
    model = build_model(s)
    expected = 32 if mode == "concatenate" else 1 if mode in ("dot", "cosine") else 16
    assert model.get_layer(f"merge_{mode}").output.shape == (None, expected)
    out = model.predict({"left_input": np.ones((3, 8)), "right_input": np.ones((3, 8))}, verbose=0)
    assert out.shape == (3, 10)


@pytest.mark.parametrize("mode", EQUAL_WIDTH_MODES)
def test_unequal_widths_are_refused_with_a_clear_message(mode):
    with pytest.raises(MergeError) as err:
        architecture(settings("merge_modes", merge=mode, left_units=32, right_units=16))
    assert str(err.value).startswith(f"{mode} needs")
    assert "32 and 16" in str(err.value)


def test_concatenate_adds_widths_and_changes_next_layer_params():
    concat = architecture(settings("two_branches", left_units=32, right_units=16))
    add = architecture(settings("two_branches", merge="add", left_units=16, right_units=16))
    assert concat["merge_concatenate"].shape == (48,)
    assert concat["class_output"].params == 49 * 10
    assert add["class_output"].params == 17 * 10


def test_subtract_and_dot_take_exactly_two_branches():
    from mbcore.network.graph import Graph
    for mode in ("subtract", "dot", "cosine"):
        g = Graph()
        srcs = [g.input(f"in{i}", (4,)) for i in range(3)]
        with pytest.raises(MergeError, match="exactly 2"):
            g.merge(mode, srcs)


def test_add_over_three_branches_is_allowed():
    from mbcore.network.graph import Graph
    g = Graph()
    srcs = [g.input(f"in{i}", (4,)) for i in range(3)]
    assert g[g.merge("add", srcs)].shape == (4,)


@pytest.mark.parametrize("field,value", [("merge", "glue"), ("left_units", 0),
                                         ("left_units", 10_000), ("learning_rate", float("nan")),
                                         ("epochs", True), ("data", "maybe")])
def test_bad_settings_name_the_field_and_the_allowed_values(field, value):
    with pytest.raises(SettingsError) as err:
        settings("two_branches", **{field: value})
    assert str(err.value).startswith(f"{field}=") and "use " in str(err.value)


def test_settings_are_hashable_and_frozen():
    s = settings("multi_io")
    assert hash(s) == hash(settings("multi_io"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.epochs = 3


@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_data_is_deterministic_per_seed_and_fits_the_model(lesson_id):
    lesson = get_lesson(lesson_id)
    small = {"n_samples": 120} if "n_samples" in lesson.settings_cls.__dataclass_fields__ else {}
    s = lesson.settings_cls(**small)
    a, b = make_data(s), make_data(s)
    other = make_data(s.replace(seed=s.seed + 1))
    graph = architecture(s)
    for split in ("x_train", "y_train", "x_val", "y_val"):
        for key, arr in getattr(a, split).items():
            np.testing.assert_array_equal(arr, getattr(b, split)[key])
    assert any(not np.array_equal(getattr(a, split)[k], getattr(other, split)[k])
               for split in ("x_train", "x_val") for k in a.x_train)
    for name in graph.inputs:
        assert a.x_train[name].shape[1:] == graph[name].shape
        assert len(a.x_train[name]) == a.n_train
    for name in graph.outputs:
        assert a.y_train[name].shape == (a.n_train, graph[name].shape[-1])
        assert a.y_val[name].shape[1:] == graph[name].shape


def test_documented_data_shapes():
    d = make_data(settings("two_branches"))
    assert d.x_train["left_input"].shape == (1000, 784) and d.y_train["class_output"].shape == (1000, 10)
    d = make_data(settings("multi_io"))
    assert d.x_train["x_input"].shape == (1000, 1) and d.x_val["x_input"].shape == (100, 1)
    np.testing.assert_allclose(d.x_train["x2_input"], d.x_train["x_input"] ** 2, rtol=1e-6)
    np.testing.assert_allclose(d.y_val["exp_output"], np.exp(d.x_val["x_input"]), rtol=1e-6)
    # the seed's validation draw: np.random.seed(7); sort(rand(100))
    np.testing.assert_allclose(d.info["x_val"], np.sort(np.random.RandomState(7).rand(100)), rtol=1e-6)
    d = make_data(settings("mlp_shapes"))
    assert d.x_train["features"].shape == (1000, 20) and d.x_val["features"].shape == (100, 20)
    assert d.val_name == "test"


def test_learnable_pairs_need_both_inputs():
    """Each input alone can only name part of the class; together they name it."""
    from mbcore.tasks.pairs import COLS, ROWS
    d = make_data(settings("two_branches", data="learnable"))
    labels = d.y_train["class_output"].argmax(1)
    left = d.x_train["left_input"] - 0.5
    right = d.x_train["right_input"] - 0.5
    row_means = np.stack([left[labels // COLS == r].mean(0) for r in range(ROWS)])
    col_means = np.stack([right[labels % COLS == c].mean(0) for c in range(COLS)])
    assert ((left @ row_means.T).argmax(1) == labels // COLS).mean() > 0.9
    assert ((right @ col_means.T).argmax(1) == labels % COLS).mean() > 0.9


def test_multimodal_label_is_independent_of_each_input_alone():
    d = make_data(settings("multimodal"))
    y = d.y_train["match_output"][:, 0]
    tags = d.x_train["tag_input"][:, 0]
    shapes = d.info["train_shapes"]
    for values in (tags, shapes):
        for v in np.unique(values):
            assert abs(y[values == v].mean() - 0.5) < 0.1
    assert np.mean(y == (tags == shapes)) == 1.0


@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_dot_has_one_node_per_layer_and_an_edge_per_connection(lesson_id):
    from mbcore.network.diagram import to_dot
    graph = architecture(get_lesson(lesson_id).settings_cls())
    (dot,) = pydot.graph_from_dot_data(to_dot(graph, lesson_id, expand=True))
    nodes, edges = set(), []
    for g in [dot, *dot.get_subgraphs()]:
        nodes |= {n.get_name().strip('"') for n in g.get_nodes()} - {"node", "edge", "graph"}
        edges += [(e.get_source().strip('"'), e.get_destination().strip('"')) for e in g.get_edges()]
    assert nodes == {n.name for n in graph.nodes}
    assert sorted(edges) == sorted((s, n.name) for n in graph.nodes for s in n.inputs)


def test_dot_marks_merges_and_all_outputs():
    from mbcore.network.diagram import to_dot
    dot = to_dot(architecture(settings("aux_output")))
    assert "merge: concatenate" in dot and "hexagon" in dot
    for out in ("main_output", "aux_output"):
        assert f'"{out}" [label=' in dot


@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_presets_are_valid_and_the_seed_configuration_comes_first(lesson_id):
    lesson = get_lesson(lesson_id)
    names = list(lesson.presets)
    assert len(names) >= 2
    assert lesson.preset(names[0]) == lesson.settings_cls()
    for name in names[1:]:
        s = lesson.preset(name)
        assert s != lesson.settings_cls()
        architecture(s)
    with pytest.raises(SettingsError, match="unknown preset"):
        lesson.preset("no such preset")


def test_build_your_own_enforces_its_rules():
    with pytest.raises(MergeError, match="add needs branches of equal width; got 16 and 8"):
        architecture(settings("build_your_own", merge="add", branch_2_width=8))
    with pytest.raises(SettingsError, match="needs a yes/no target"):
        settings("build_your_own", output_1_loss="binary_crossentropy")
    one = architecture(settings("build_your_own", inputs=1, outputs=1))
    assert one.inputs == ["input_1"] and one.outputs == ["output_1"]
    assert not any(n.op == "merge" for n in one.nodes)
    # a branch with no layers hands its raw features to the merge
    g = architecture(settings("build_your_own", input_2="powers of x", branch_2_layers=0))
    assert g["merge_concatenate"].shape == (16 + 4,)


def test_only_the_ui_package_imports_streamlit():
    """The core stays usable from the command line and in workers without Streamlit."""
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1] / "mbcore"
    offenders = []
    for path in root.rglob("*.py"):
        if "ui" in path.relative_to(root).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "streamlit" or n.startswith("mbcore.ui") for n in names):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
