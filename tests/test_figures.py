"""Charts read from the back row: a log axis has several labelled ticks whatever
the curve's range, a pair's legend never covers a curve, and a
crowded one says which line style is training and which validation."""
import math

import pytest

from mbcore.views import figures


@pytest.mark.parametrize("lo,hi", [(0.3, 5), (1e-4, 2), (0.002, 0.009), (1e-9, 1e3),
                                   (0.5, 0.6), (0.01, 1), (0.0412, 0.0431)])
def test_log_ticks_are_few_inside_the_range_and_at_least_three(lo, hi):
    ticks = figures.log_ticks(lo, hi)
    assert 3 <= len(ticks) <= 8, ticks
    assert ticks == sorted(set(ticks))
    assert all(lo / 1.06 <= t <= hi * 1.06 for t in ticks), ticks
    # every label is a plain short number, not Plotly's bare '2' or '5' digits
    labels = [f"{t:g}" for t in ticks]
    assert all(math.isclose(float(label), t) for label, t in zip(labels, ticks))
    assert all(len(label) <= 6 for label in labels), labels


def test_a_log_loss_chart_labels_its_ticks_in_full():
    fig = figures.curves({"loss": [4.0, 2.0, 0.9, 0.4], "val loss": [5.0, 2.5, 1.1, 0.5]},
                         "Loss", log_y=True)
    axis = fig.layout.yaxis
    assert axis.type == "log" and axis.tickmode == "array"
    assert list(axis.ticktext) == [f"{t:g}" for t in axis.tickvals]
    assert len(axis.tickvals) >= 3


def test_a_short_training_has_a_tick_per_epoch_and_no_half_epochs():
    few = figures.curves({"loss": [0.7, 0.6, 0.4, 0.3]}, "Loss")
    assert (few.layout.xaxis.tick0, few.layout.xaxis.dtick) == (1, 1)
    many = figures.curves({"loss": [1.0 / (i + 1) for i in range(200)]}, "Loss")
    assert many.layout.xaxis.dtick is None        # Plotly's own whole steps: 50, 100...


def test_stacked_charts_carry_the_solid_dashed_key_in_the_title_and_keep_every_entry():
    series = {"loss": [1, 0.5], "val loss": [1.1, 0.6], "a_loss": [0.5, 0.2],
              "val a_loss": [0.6, 0.3], "b_loss": [0.5, 0.3], "val b_loss": [0.5, 0.3]}
    fig = figures.curves(series, "Loss", key_in_title=True)
    assert "solid: training, dashed: validation" in fig.layout.title.text
    assert fig.layout.legend.title.text is None
    assert sum(1 for t in fig.data if t.showlegend) == 3        # one entry per pair
    assert figures.PAIR_KEY == figures.curves(series, "Loss").layout.legend.title.text


def test_a_pair_of_curves_has_its_legend_in_a_row_above_the_plot_never_over_it():
    # an overfitting net: the validation loss turns back up into the top right corner
    fig = figures.curves({"loss": [2.0, 0.5, 0.1, 0.05], "val loss": [2.1, 1.0, 3.0, 9.0]},
                         "Loss")
    legend = fig.layout.legend
    assert (legend.orientation, legend.y, legend.yanchor) == ("h", 1.0, "bottom")
    assert fig.layout.margin.t >= figures.LEGEND_ROW_TOP    # room under the title for it


def test_a_crowded_chart_has_one_entry_per_pair_and_names_the_line_styles():
    series = {m: [1.0, 0.5] for m in ("add", "concatenate", "dot")}
    series.update({f"val {m}": [1.2, 0.6] for m in ("add", "concatenate", "dot")})
    fig = figures.curves(series, "accuracy")
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown == ["add", "concatenate", "dot"]
    assert fig.layout.legend.x > 1                    # beside the plot, not over it
    assert "dashed: validation" in fig.layout.legend.title.text


def test_a_legend_of_many_pairs_gets_a_figure_tall_enough_for_every_entry():
    modes = [f"mode{i}" for i in range(12)]
    series = {**{m: [0.5, 0.9] for m in modes}, **{f"val {m}": [0.4, 0.8] for m in modes}}
    fig = figures.curves(series, "accuracy", height=300)
    assert fig.layout.height >= figures.LEGEND_ROOM + 22 * len(modes)
    few = figures.curves({m: [0.5, 0.9] for m in modes[:3]}, "accuracy", height=300)
    assert few.layout.height == 300
