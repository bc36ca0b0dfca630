"""Every lesson page in a real browser: it draws, the diagram is SVG with one
node per layer (a run of identical blocks folded into one node), the parameter count is the command line's, training updates the
live chart, and the page fits a laptop and a projector (screenshots kept in
artifacts/screenshots)."""
import json
import re
import subprocess
import sys

import pytest

from mbcore.lessons import ALL_LESSONS, Experiment
from mbcore.network.repeats import find_repeats
from cases import CASES, page_file

from .stbrowser import ARTIFACTS, ROOT, SIZES, number

# Every lesson's page file: pages/<id>.py is served at /<id>.
PAGES = {lid: lid for lid in ALL_LESSONS}


def test_every_lesson_has_its_page():
    assert all(page_file(lid).exists() for lid in ALL_LESSONS)


def cli_summary(lesson_id: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "mbcore", "summary", lesson_id, "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module", params=list(PAGES))
def lesson_page(request, app_tab):
    """The shared tab on one page, for that page's tests in order."""
    app_tab.open_page(request.param)
    app_tab.lesson_id = request.param
    return app_tab


def test_page_loads_without_exception(lesson_page):
    lesson_page.assert_no_exception()
    assert lesson_page.page.locator("h1").first.is_visible()
    title = ALL_LESSONS[lesson_page.lesson_id].title
    assert lesson_page.page.get_by_role("heading", name=title).first.is_visible()


def test_diagram_is_svg_with_one_node_per_layer(lesson_page):
    layers = {layer["name"] for layer in cli_summary(lesson_page.lesson_id)["layers"]}
    chart = lesson_page.page.locator('[data-testid="stGraphVizChart"]').first
    chart.locator("svg g.node").first.wait_for(state="visible")
    # node IDs carry the diagram's prefix (ui/model.py, redrawn_dot): one for all
    ids = chart.locator("svg g.node > title").all_text_contents()
    assert len({re.match(r"d[0-9a-f]{8}_", i)[0] for i in ids}) == 1, ids
    names = [i.split("_", 1)[1] for i in ids]
    graph = Experiment.of(ALL_LESSONS[lesson_page.lesson_id].settings_cls()).graph
    folded = {r.node_id: set(r.folded) for r in find_repeats(graph)}
    assert len(names) == len(set(names))
    assert set(names) - set(folded) | {n for f in folded.values() for n in f} == layers
    assert set(folded) <= set(names)


def test_parameter_count_matches_the_command_line(lesson_page):
    params = cli_summary(lesson_page.lesson_id)["params"]
    metric = lesson_page.page.locator('[data-testid="stMetric"]').filter(
        has=lesson_page.page.locator('[data-testid="stMetricLabel"]', has_text="Parameters"))
    assert number(metric.first.locator('[data-testid="stMetricValue"]').inner_text()) == params


# The browser's training run: a few seconds, yet long enough for the curves to
# be seen growing (tests/cases.py).
TRAIN_SETTINGS = {lid: c.browser_train for lid, c in CASES.items()}
EPOCH_RE = re.compile(r"Epoch (\d+)/(\d+)")


def changes(samples: list[dict]) -> list[tuple]:
    """The samples where the chart or the progress line changed: (ms, points, progress)."""
    out = []
    for s in samples:
        row = (s["t"], s["points"], s["progress"][:48])
        if not out or out[-1][1:] != row[1:]:
            out.append(row)
    return out


def test_train_grows_the_chart_and_shows_final_metrics(lesson_page):
    page = lesson_page.page
    train = page.get_by_role("button", name=re.compile(r"(^|\s)Train$")).first
    train.wait_for(state="visible")
    assert train.is_enabled()
    # A seed no other browser test trains with: identical trainings are shared,
    # so one that an earlier test (lecture screen, walkthrough) ran would show at once.
    changes_ = {"Random seed": 977, **TRAIN_SETTINGS.get(lesson_page.lesson_id, {"Epochs": 20})}
    for label, value in changes_.items():
        lesson_page.set_number(label, value)
    epochs = changes_["Epochs"]
    before = lesson_page.plotly_points()      # other plots on the page, if any
    lesson_page.start_sampling()
    train.click()
    done = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="wall time"))
    done.first.wait_for(state="visible", timeout=180_000)
    samples = lesson_page.stop_sampling()
    seen = ",\n  ".join(json.dumps(row, ensure_ascii=False) for row in changes(samples))
    (ARTIFACTS / f"training-{lesson_page.lesson_id}.json").write_text(
        f'{{"settings": {json.dumps(changes_)},\n "seen [ms after Train, longest curve '
        f'in points, progress line]": [\n  {seen}\n]}}\n')
    lesson_page.wait_idle()
    lesson_page.assert_no_exception()
    progress = page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first.inner_text()
    assert f"Epoch {epochs}/{epochs}" in progress and "done" in progress, progress
    # While it ran (progress "Epoch k/N", k < N) the curves were drawn part way,
    # and they had grown further by the end.
    during = [s["points"] for s in samples
              if (m := EPOCH_RE.search(s["progress"])) and int(m[1]) < epochs]
    after = lesson_page.plotly_points()
    partway = [c for c in during if c > before]
    assert partway and min(partway) < after, (
        f"curves did not grow while training ran: longest line {before} points before, "
        f"{after} after; what the page showed: {changes(samples)}")
    assert after >= epochs, f"the curves have {after} points after {epochs} epochs"
    # and it was one chart, updated in place from before Train to the finished
    # result: never mounted anew (blank for a moment, or grey while Plotly loads)
    mounts = [s["chart"] for s in samples if s["chart"]]
    assert mounts and len(set(mounts)) == 1, (
        f"the loss chart was mounted {len(set(mounts))} times between Train and the end")

@pytest.mark.parametrize("size", list(SIZES))
def test_screenshot_and_no_horizontal_scroll(lesson_page, size):
    """After training (the test above), as a class would see the page."""
    shots = lesson_page.screenshot(PAGES[lesson_page.lesson_id], size)
    assert all(p.stat().st_size > 10_000 for p in shots)
    lesson_page.assert_no_exception()
    if size == "laptop":
        assert lesson_page.horizontal_overflow() == [], "page scrolls sideways at 1280 px"
