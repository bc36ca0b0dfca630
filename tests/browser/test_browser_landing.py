"""The landing page in a real browser: it draws, one card per lesson, it fits."""
import pytest

from .stbrowser import SIZES
from mbcore.lessons import ALL_LESSONS

CARDS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stVerticalBlock"]')]
  .filter(e => getComputedStyle(e).borderTopStyle === 'solid')
  .map(e => ({text: e.innerText.trim(),
              links: [...e.querySelectorAll('[data-testid="stPageLink-NavLink"]')]
                       .map(a => a.getAttribute('href'))}))"""


def cards_by_title(landing) -> dict:
    """Bordered cards in the main area, by their first line, in lesson-number order
    (two columns put 1, 3, 5, 7 before 2, 4, 6 in the DOM)."""
    cards = {c["text"].splitlines()[0]: c for c in landing.page.evaluate(CARDS_JS)}
    return dict(sorted(cards.items(), key=lambda kv: int(kv[0].split(".")[0])
                       if kv[0].split(".")[0].isdigit() else 0))


@pytest.fixture(scope="module")
def landing(app_tab):
    return app_tab.open_page("")


def test_landing_loads_without_exception(landing):
    landing.assert_no_exception()
    assert landing.page.get_by_role("heading", name="Multi-branch neural networks").is_visible()


def test_one_card_per_lesson_in_lesson_order(landing):
    titles = list(cards_by_title(landing))
    assert titles == [f"{i}. {l.title}" for i, l in enumerate(ALL_LESSONS.values(), 1)]


def test_every_card_links_to_its_lesson_page(landing):
    cards = cards_by_title(landing)
    for i, lesson in enumerate(ALL_LESSONS.values(), 1):
        card = cards[f"{i}. {lesson.title}"]
        assert len(card["links"]) == 1, f"card {i} ({lesson.id}) has no link to its page"
        assert card["links"][0].rstrip("/").endswith(lesson.id)


@pytest.mark.parametrize("size", list(SIZES))
def test_landing_screenshot_and_no_horizontal_scroll(landing, size):
    shots = landing.screenshot("00_landing", size)
    assert all(p.stat().st_size > 10_000 for p in shots)
    assert landing.horizontal_overflow() == [], f"landing page scrolls sideways at {size}"
