"""The lecture screen: after Train, one 1280 x 800 view holds the Train/Stop row,
the live loss curve and the lesson's fit plot (no scrolling between them while
the class watches the model learn). Screenshots in artifacts/screenshots."""
import re

import pytest

from .stbrowser import LAPTOP, PLOTS_JS, SCREENSHOTS, TITLE_JS, StPage

# The lesson's fit plots, by their titles: multi_io's curve fits, and aux_output's
# confusion matrices, under loss and metric charts stacked (a curve pair per output)
FITS = {"multi_io": "validation points", "aux_output": "output \\(validation\\)"}

# Boxes of the Train button, the loss chart and the fit plots, in viewport pixels.
BOXES_JS = """(fit) => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: Math.round(r.top), bottom: Math.round(r.bottom)}; };
  const main = document.querySelector('[data-testid="stMain"]');
  const train = [...main.querySelectorAll('button')].find(b => /Train$/.test(b.innerText.trim()));
  // charts on screen (a chart being replaced leaves an empty, zero-height copy)
  const plots = (""" + PLOTS_JS + """)()
    .filter(p => p.box.getBoundingClientRect().height > 0);
  const title = p => (""" + TITLE_JS + """)(p.gd);
  const header = document.querySelector('[data-testid="stHeader"]');
  return {train: train ? box(train) : null, top: header ? box(header).bottom : 0,
          loss: plots.filter(p => /^(<[^>]*>)*Loss\\b/.test(title(p))).map(p => box(p.box)),
          fit: plots.filter(p => new RegExp(fit).test(title(p))).map(p => box(p.box)),
          height: window.innerHeight};
}"""


@pytest.mark.parametrize("lesson_id", FITS)
def test_train_row_loss_curve_and_fit_share_one_laptop_screen(context, server, lesson_id):
    """In a tab of its own: the shared tab's later tests expect no earlier training
    of the lesson in their session."""
    page = context.new_page()
    try:
        _check_lecture_screen(StPage(page, server).goto(lesson_id), lesson_id)
    finally:
        page.close()


def _check_lecture_screen(tab, lesson_id: str):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    tab.set_viewport(LAPTOP)
    page = tab.page
    train = page.get_by_role("button", name=re.compile(r"Train$")).first
    train.scroll_into_view_if_needed()
    train.click()
    # the curve and the fit are drawn once the first epochs have arrived
    page.wait_for_function(
        "(fit) => (" + PLOTS_JS + ")().some(p => new RegExp(fit).test((" + TITLE_JS
        + ")(p.gd)))", arg=FITS[lesson_id], timeout=120_000)
    page.wait_for_timeout(500)
    # the lecturer brings the Train row to the top of the screen: all of it is in view
    # (under Streamlit's header bar, which covers the top 60 px)
    train.evaluate("b => { b.style.scrollMarginTop = '64px'; b.scrollIntoView({block: 'start'}); }")
    page.wait_for_timeout(1500)

    def inside(b):
        return b is not None and boxes["top"] <= b["top"] and b["bottom"] <= boxes["height"]

    def all_in_view():
        return (inside(boxes["train"]) and boxes["loss"] and boxes["fit"]
                and all(inside(b) for b in boxes["loss"] + boxes["fit"]))

    # a layout, not a moment: when the training ends (it may, on a busy machine) the
    # finished charts take the live ones' place and for a moment none is drawn
    for _ in range(12):
        boxes = page.evaluate(BOXES_JS, FITS[lesson_id])
        if all_in_view():
            break
        page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lecture-screen-{lesson_id}-laptop-1280x800.png"))
    try:        # leave no training behind for the next test (it may have ended already)
        page.get_by_role("button", name=re.compile(r"Stop$")).first.click(timeout=3000)
    except PlaywrightTimeout:
        pass
    assert inside(boxes["train"]), boxes
    assert boxes["loss"] and all(inside(b) for b in boxes["loss"]), boxes
    assert boxes["fit"] and all(inside(b) for b in boxes["fit"]), boxes
