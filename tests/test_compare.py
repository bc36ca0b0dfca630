"""A/B compare through the pages (AppTest): train, pin A, change a setting, train B;
one chart overlays both, both fits are drawn, the diff names the changed field;
unpin goes back to one result. Downloads sit under the finished result."""

import pytest

from mbcore.views import figures as plots
from mbcore.lessons import LESSONS
from mbcore.settings import spec_of
from mbcore.ui.charts import chart_scope, placed
from cases import CASES
import shown_charts
from test_pages import SMALL, end_workers, has_wall_time, open_page, set_controls, wait_until

assert end_workers              # the shared runner's workers end with this module too

# A setting to change between A and B, its new value, and the lesson's fit-plot keys.
CHANGE = {lid: c.ab_change for lid, c in CASES.items() if c.ab_change}


def figures(at) -> list[dict]:
    return shown_charts.figures(at)


def loss_chart(at) -> dict:
    return next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Loss"))


def train(at, lesson_id):
    at.button(key=f"{lesson_id}/train_start").click().run()
    return wait_until(at, lambda a: has_wall_time(a) and "done" in a.get("progress")[0].proto.text)


def diff_rows(at) -> list[dict]:
    for frame in at.dataframe:
        if list(frame.value.columns) == ["setting", "A", "B"]:
            return frame.value.to_dict("records")
    return []


@pytest.mark.parametrize("lesson_id", CHANGE)
def test_pin_a_train_b_compare_and_unpin(lesson_id):
    field, value, fit_keys = CHANGE[lesson_id]
    epochs = SMALL[lesson_id]["epochs"]
    at = set_controls(open_page(lesson_id), SMALL[lesson_id])
    assert at.button(key=f"{lesson_id}/pin").disabled          # nothing to pin yet
    train(at, lesson_id)
    at.button(key=f"{lesson_id}/pin").click().run()
    assert any("A is pinned" in i.value for i in at.info)
    assert at.button(key=f"{lesson_id}/pin").disabled          # already A

    # A survives control changes and reruns; B trains with the new value
    set_controls(at, {field: value, "epochs": epochs + 1})
    assert any("A is pinned" in i.value for i in at.info)
    train(at, lesson_id)

    names = [t["name"] for t in loss_chart(at)["data"]]
    assert any(n.startswith("A · ") for n in names) and any(n.startswith("B · ") for n in names)
    lengths = {n[:1]: len(t["y"]) for n, t in zip(names, loss_chart(at)["data"])}
    assert lengths == {"A": epochs, "B": epochs + 1}
    faded = {t["opacity"] for t in loss_chart(at)["data"] if t["name"].startswith("A · ")}
    assert faded and max(faded) < 1                            # A styled apart from B
    for key in fit_keys:                                        # each fit drawn for A and for B
        assert shown_charts.by_key(at, f"A/{key}") and shown_charts.by_key(at, key)
    cls = LESSONS[lesson_id].settings_cls
    spec = spec_of(cls, field)
    default = getattr(cls(), field)
    assert diff_rows(at) == [
        {"setting": spec.label, "A": spec.to_text(default), "B": spec.to_text(value)},
        {"setting": spec_of(cls, "epochs").label, "A": str(epochs), "B": str(epochs + 1)}]

    at.button(key=f"{lesson_id}/unpin").click().run()
    assert not any("A · " in t["name"] for t in loss_chart(at)["data"])
    assert not diff_rows(at) and not any("A is pinned" in i.value for i in at.info)
    assert not at.button(key=f"{lesson_id}/pin").disabled      # B can become the new A


def test_finished_result_offers_downloads_with_named_png_export():
    lesson_id = "multi_io"
    at = set_controls(open_page(lesson_id), SMALL[lesson_id])
    train(at, lesson_id)
    labels = [b.proto.label for b in at.get("download_button")]
    for wanted in ("Model (.keras)", "History (.csv)", "Diagram (.dot)", "Plots (.html)"):
        assert wanted in labels
    configs = [config for _, config in shown_charts.charts(at)]
    exports = {c["toImageButtonOptions"]["filename"]: c["toImageButtonOptions"]["scale"]
               for c in configs}
    assert exports == {"multi_io-train_loss": 2, "multi_io-fit_sin_output": 2,
                       "multi_io-fit_exp_output": 2}


def test_chart_scope_prefixes_keys_names_png_files_and_collects_figures():
    fig = plots.curves({"loss": [1.0, 0.5]}, "Loss")
    kept = []

    def file_name(config):
        return config["toImageButtonOptions"]["filename"]

    with chart_scope(name="multi_io", collect=kept):
        assert placed(fig, "multi_io/train_loss") == ("multi_io/train_loss", plots.export_config(
            "multi_io-train_loss"))
        with chart_scope("A/", label="A (pinned)"):
            key, config = placed(fig, "fit_sin_output")
    assert key == "A/fit_sin_output" and file_name(config) == "multi_io-A-fit_sin_output"
    assert kept == [("", fig), ("A (pinned)", fig)]
    key, config = placed(fig, None)                  # outside any scope: named by its title
    assert key is None and file_name(config) == "Loss" and len(kept) == 2
    assert file_name(placed(fig, "merge_modes/shootout_overlay")[1]) == \
        "merge_modes-shootout_overlay"
