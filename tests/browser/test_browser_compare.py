"""A/B compare in a real browser: train, pin the result as A, change a control,
train B; one chart holds both runs' curves, the fits of both are drawn, and a
table names the setting that changed."""
import re

from .stbrowser import PLOTS_JS, StPage

TRACE_NAMES_JS = """() => (""" + PLOTS_JS + """)()
  .map(p => ((p.gd || {}).data || []).map(tr => tr.name || ''))"""
# the training panel's charts and their headings are drawn in one frame
PINNED_HEADING_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] iframe')]
  .some(f => { try { return f.contentDocument.body.innerText.includes('A (pinned)'); }
               catch (e) { return false; } })"""


def train_and_wait(tab: StPage, epochs: int) -> None:
    """Train, and wait for this training's end (an earlier result's numbers may
    still be on the page while it starts)."""
    page = tab.page
    page.get_by_role("button", name=re.compile(r"Train$")).first.click()
    page.locator('[data-testid="stMain"] [data-testid="stProgress"]').filter(
        has_text=re.compile(rf"Epoch {epochs}/{epochs}\b.*done")).first.wait_for(timeout=180_000)
    tab.wait_idle()


def test_pin_a_change_a_control_train_b_and_see_both(context, server):
    tab = StPage(context.new_page(), server)
    try:
        tab.goto("multi_io")
        tab.set_number("Epochs", 30)
        train_and_wait(tab, 30)
        tab.page.get_by_role("button", name=re.compile("Pin as A")).first.click()
        tab.page.get_by_text("A is pinned").first.wait_for()
        tab.set_number("Epochs", 45)
        train_and_wait(tab, 45)
        tab.page.get_by_text("A/B compare").first.wait_for()
        tab.assert_no_exception()
        charts = tab.page.evaluate(TRACE_NAMES_JS)
        both = [names for names in charts if any(n.startswith("A") for n in names)
                and any(n.startswith("B") for n in names)]
        assert both, f"no chart holds A's and B's curves: {charts}"
        # The diff table (a data grid draws on a canvas; its cells are also in
        # the DOM for screen readers).
        grids = tab.page.locator('[data-testid="stDataFrame"]').evaluate_all(
            "els => els.map(el => [...el.querySelectorAll('[role=gridcell], [role=columnheader]')]"
            ".map(c => c.textContent).join(' | '))")
        diff = [g for g in grids if g.startswith("setting")]
        assert diff and all(s in diff[0] for s in ("Epochs", "30", "45")), grids
        tab.page.wait_for_function(PINNED_HEADING_JS)              # A's fit, B's under it
        tab.page.get_by_role("button", name=re.compile("Unpin A")).first.click()
        tab.wait_idle()
        assert tab.page.get_by_text("A/B compare").count() == 0
        tab.assert_no_exception()
    finally:
        tab.page.close()
