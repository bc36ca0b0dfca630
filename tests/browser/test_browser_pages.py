"""Every lesson page in a real browser: it draws, the diagram is SVG with one
node per layer, the parameter count is the command line's, training updates the
live chart, and the page fits a laptop and a projector (screenshots kept in
artifacts/screenshots)."""
import json
import subprocess
import sys

import pytest

from mbcore.lessons import LESSONS

from .stbrowser import ROOT, SIZES, StPage, number

# Every page file, in the app's order: "3_multi_io.py" is served at /multi_io.
PAGE_FILES = sorted((ROOT / "pages").glob("[0-9]*_*.py"), key=lambda p: int(p.name.split("_")[0]))
PAGES = {p.stem.split("_", 1)[1]: p.stem for p in PAGE_FILES}
LESSON_IDS = [lid for lid in LESSONS if lid in PAGES]


def test_every_lesson_has_its_page():
    assert [PAGES.get(lid) for lid in LESSONS] == [f"{i}_{lid}" for i, lid in enumerate(LESSONS, 1)]


def cli_summary(lesson_id: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "mbcore", "summary", lesson_id, "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module", params=list(PAGES))
def lesson_page(request, context, server):
    """One tab per page, opened once and shared by that page's tests, in order."""
    lesson_id = request.param
    page = context.new_page()
    st_page = StPage(page, server).goto(lesson_id)
    st_page.lesson_id = lesson_id
    yield st_page
    page.close()


def lesson_only(lesson_page):
    if lesson_page.lesson_id not in LESSONS:
        pytest.skip(f"{lesson_page.lesson_id} is not a lesson of the registry")


def test_page_loads_without_exception(lesson_page):
    lesson_page.assert_no_exception()
    assert lesson_page.page.locator("h1").first.is_visible()
    if lesson_page.lesson_id in LESSONS:
        title = LESSONS[lesson_page.lesson_id].title
        assert lesson_page.page.get_by_role("heading", name=title).first.is_visible()


def test_diagram_is_svg_with_one_node_per_layer(lesson_page):
    lesson_only(lesson_page)
    layers = cli_summary(lesson_page.lesson_id)["layers"]
    chart = lesson_page.page.locator('[data-testid="stGraphVizChart"]').first
    chart.locator("svg g.node").first.wait_for(state="visible")
    names = chart.locator("svg g.node > title").all_text_contents()
    assert sorted(names) == sorted(layer["name"] for layer in layers)


def test_parameter_count_matches_the_command_line(lesson_page):
    lesson_only(lesson_page)
    params = cli_summary(lesson_page.lesson_id)["params"]
    metric = lesson_page.page.locator('[data-testid="stMetric"]').filter(
        has=lesson_page.page.locator('[data-testid="stMetricLabel"]', has_text="Parameters"))
    assert number(metric.first.locator('[data-testid="stMetricValue"]').inner_text()) == params


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshot_and_no_horizontal_scroll(lesson_page, size):
    shots = lesson_page.screenshot(PAGES[lesson_page.lesson_id], size)
    assert all(p.stat().st_size > 10_000 for p in shots)
    lesson_page.assert_no_exception()
    if size == "laptop":
        assert lesson_page.horizontal_overflow() == [], "page scrolls sideways at 1280 px"
