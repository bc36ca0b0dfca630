"""The diagram as a lecture hall sees it: repeated blocks folded, every input on
the top row and every output on the bottom one, no edge labels for arrows to
cross, and text that stays at least 14 px when the page fits it to its box."""
import json
import shutil
import subprocess

import pydot
import pytest

from mbcore.lessons import ALL_LESSONS, Experiment, get_lesson
from mbcore.network.diagram import FONT_PT, drawn_nodes, to_dot
from mbcore.network.repeats import find_repeats

# the lessons' defaults, and the largest shapes a lecture shows
NETWORKS = [(lid, {}) for lid in ALL_LESSONS] + [
    ("build_your_own", {"preset": "four inputs, add"}),
    ("depth_residual", {"preset": "classic block with add"}),
    ("depth_residual", {"preset": "tutorial: plain 12 layers"}),
]
# The page's box at 1920 x 1080 (ui/model.py): 62 % of the height, and the
# model column's width (3/5 of the main area beside a 2/5 text column).
BOX_PX = (830, 0.62 * 1080)
BROWSER_LAYOUT = 1.08    # measured: multimodal 9.65 in on the page, 8.9 in from `dot`
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def graph_of(lesson_id, preset=None):
    lesson = get_lesson(lesson_id)
    return Experiment.of(lesson.preset(preset) if preset else lesson.settings_cls()).graph


def parse(dot: str):
    (parsed,) = pydot.graph_from_dot_data(dot)
    nodes, edges = {}, []
    for g in [parsed, *parsed.get_subgraphs()]:
        for n in g.get_nodes():
            if n.get_name() not in ("node", "edge", "graph") and n.get_label():
                nodes[n.get_name().strip('"')] = n     # (not a rank group's mention)
        edges += g.get_edges()
    return nodes, edges


def layout(dot: str) -> dict:
    """Graphviz's own layout: node name -> (x, y) in points (y grows upwards),
    and the drawing's size in inches."""
    out = json.loads(subprocess.run(["dot", "-Tjson"], input=dot, capture_output=True,
                                    text=True, check=True).stdout)
    pos = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in out.get("objects", [])
           if "pos" in o}
    _, _, w, h = map(float, out["bb"].split(","))
    return {"pos": pos, "size_in": (w / 72, h / 72)}


@pytest.mark.parametrize("lesson_id,how", NETWORKS)
def test_every_layer_is_drawn_or_inside_one_folded_node(lesson_id, how):
    graph = graph_of(lesson_id, how.get("preset"))
    nodes, edges = parse(to_dot(graph))
    assert set(nodes) == set(drawn_nodes(graph))
    hidden = {name for r in find_repeats(graph) for name in r.folded}
    assert set(graph.inputs) | set(graph.outputs) <= set(nodes)       # never folded
    assert {n.name for n in graph.nodes} == (set(nodes) & {n.name for n in graph.nodes}) | hidden
    for e in edges:      # shapes are in the nodes: no edge label for an arrow to cross
        assert e.get_label() is None
        assert {e.get_source().strip('"'), e.get_destination().strip('"')} <= set(nodes)
    for node in graph.nodes:
        if node.name in nodes:
            assert "×".join(map(str, node.shape)) in nodes[node.name].get_label()


def test_twenty_residual_blocks_are_one_block_and_one_folded_node():
    graph = graph_of("depth_residual")
    (rep,) = find_repeats(graph)
    assert (rep.kept, rep.first, rep.last, rep.count) == ("block1", "block2", "block20", 20)
    assert rep.params == sum(n.params for n in graph.nodes if n.branch not in
                             ("block1", "trunk", "outputs", "x_input"))
    nodes, _ = parse(to_dot(graph))
    assert [n for n in nodes if "…" in n] == ["block2 … block20"]
    assert "19 more like block1" in nodes["block2 … block20"].get_label()
    assert len(nodes) == 7                          # 63 layers drawn as 7 nodes
    assert len(parse(to_dot(graph, expand=True))[0]) == len(graph.nodes)


def test_blocks_that_differ_or_are_few_are_not_folded():
    assert find_repeats(graph_of("depth_residual", "exercise: four blocks")) != []  # 4 alike
    for lesson_id in ("mlp_shapes", "multi_io", "aux_output", "multimodal", "two_branches"):
        assert find_repeats(graph_of(lesson_id)) == [], lesson_id
    four = graph_of("depth_residual", "exercise: four blocks")
    assert find_repeats(four, min_run=5) == []


@needs_dot
@pytest.mark.parametrize("lesson_id,how", NETWORKS)
def test_inputs_on_top_outputs_at_the_bottom_and_text_legible_at_1920(lesson_id, how):
    graph = graph_of(lesson_id, how.get("preset"))
    drawn = layout(to_dot(graph))
    y = {name: p[1] for name, p in drawn["pos"].items()}
    top, bottom = max(y.values()), min(y.values())
    assert all(y[name] == top for name in graph.inputs), {n: y[n] for n in graph.inputs}
    assert all(y[name] == bottom for name in graph.outputs), {n: y[n] for n in graph.outputs}
    # The browser draws a point as 4/3 px and shrinks the whole drawing into its box.
    # (the page's Graphviz, compiled to WebAssembly, lays it out up to ~8 % larger)
    w_px, h_px = (inch * 96 * BROWSER_LAYOUT for inch in drawn["size_in"])
    scale = min(1.0, BOX_PX[0] / w_px, BOX_PX[1] / h_px)
    assert FONT_PT * 4 / 3 * scale >= 14, (drawn["size_in"], scale)



def test_a_prefix_renames_every_node_and_frame_but_draws_the_same_diagram():
    """The page gives a changed diagram new IDs (ui/model.py, redrawn_dot): the
    browser then draws it at once instead of morphing each old shape into a new one."""
    graph = graph_of("multi_io")
    plain, prefixed = parse(to_dot(graph)), parse(to_dot(graph, id_prefix="d0f_"))
    assert set(prefixed[0]) == {"d0f_" + n for n in plain[0]}
    assert [prefixed[0]["d0f_" + n].get_label() for n in plain[0]] == \
        [n.get_label() for n in plain[0].values()]
    assert len(prefixed[1]) == len(plain[1])
    (dot,) = pydot.graph_from_dot_data(to_dot(graph, id_prefix="d0f_"))
    frames = [g.get_name().strip('"') for g in dot.get_subgraphs() if g.get_name()]
    assert frames and all(f.startswith("cluster_d0f_") for f in frames)
