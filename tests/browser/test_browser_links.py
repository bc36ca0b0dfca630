"""Links in a real browser: the address bar follows the controls, a link opened in
a fresh tab restores them (including values off a slider's grid), and a broken
link opens with one warning instead of an error. Each test uses its own tab, as
a student who was sent the link would."""
import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from .stbrowser import ROOT, StPage, number


@pytest.fixture
def fresh_tab(context, server):
    page = context.new_page()
    yield StPage(page, server)
    page.close()


def cli_params(lesson_id: str, *sets: str) -> int:
    args = [a for s in sets for a in ("--set", s)]
    out = subprocess.run([sys.executable, "-m", "mbcore", "summary", lesson_id, *args, "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["params"]


def shown_params(tab: StPage) -> int:
    metric = tab.page.locator('[data-testid="stMetric"]').filter(
        has=tab.page.locator('[data-testid="stMetricLabel"]', has_text="Parameters")).first
    return number(metric.locator('[data-testid="stMetricValue"]').inner_text())


def query(tab: StPage) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(tab.page.url).query).items()}


def test_a_link_restores_every_setting_in_a_fresh_tab(fresh_tab):
    sets = ["residual=false", "hidden=6", "width=20", "learning_rate=0.0007"]
    fresh_tab.goto("depth_residual?" + "&".join(sets))
    fresh_tab.assert_no_exception()
    assert shown_params(fresh_tab) == cli_params("depth_residual", *sets)
    # Nothing was dropped or rounded: the address bar still says what the link said.
    q = query(fresh_tab)
    assert {k: q.get(k) for k in ("residual", "hidden", "width", "learning_rate")} == dict(
        s.split("=") for s in sets)
    assert fresh_tab.number_widget("Width").locator("input").first.evaluate(
        "el => el.value") == "20"


def test_moving_a_control_writes_the_link_that_restores_it(fresh_tab, context, server):
    fresh_tab.goto("multi_io")
    fresh_tab.set_number("Epochs", 123)
    fresh_tab.page.wait_for_function("() => location.search.includes('epochs=123')")
    link = fresh_tab.page.url
    other = StPage(context.new_page(), server)
    try:
        other.page.goto(link, wait_until="domcontentloaded")
        other.wait_idle()
        other.assert_no_exception()
        assert other.number_widget("Epochs").locator("input").first.evaluate(
            "el => el.value") == "123"
    finally:
        other.page.close()


def test_a_broken_link_opens_with_one_warning_naming_the_bad_fields(fresh_tab):
    fresh_tab.goto("two_branches?merge=banana&epochs=-5&nonsense=1&left_units=64")
    fresh_tab.assert_no_exception()
    alerts = fresh_tab.page.locator('[data-testid="stAlert"]').filter(
        has_text=re.compile("merge")).all_inner_texts()
    assert len(alerts) == 1, alerts
    for name in ("merge", "epochs", "nonsense"):
        assert name in alerts[0], alerts[0]
    # The good part of the link still counts; the bad fields are back at their defaults.
    assert shown_params(fresh_tab) == cli_params("two_branches", "left_units=64")
    q = query(fresh_tab)
    assert q.get("left_units") == "64" and not {"merge", "epochs", "nonsense"} & set(q)
