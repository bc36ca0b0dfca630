"""The server's redraw budget (ui/redraws.py): many watching sessions share a
bounded number of live redraws a second; one alone, or the lecturer, is not held back."""
from mbcore.ui.redraws import ACTIVE_SECONDS, RedrawBudget, per_second_default


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def redraws_in(budget, clock, sessions, seconds, exempt=()):
    """Redraws per session when each redraws as soon as the budget lets it."""
    due = {s: clock.now for s in sessions}
    count = dict.fromkeys(sessions, 0)
    end = clock.now + seconds
    while True:
        who = min(due, key=due.get)
        if due[who] >= end:
            return count
        clock.now = due[who]
        count[who] += 1
        due[who] = max(budget.next_redraw(who, exempt=who in exempt), clock.now + 0.2)


def test_a_crowd_of_sessions_stays_within_the_servers_budget():
    clock = Clock()
    budget = RedrawBudget(per_second=10, clock=clock)
    counts = redraws_in(budget, clock, [f"s{i}" for i in range(25)], seconds=60)
    assert sum(counts.values()) <= 10 * 60 * 1.05           # the server's share is bounded
    assert min(counts.values()) >= 0.8 * max(counts.values())  # and shared fairly


def test_one_session_alone_and_the_lecturer_redraw_at_every_report():
    clock = Clock()
    budget = RedrawBudget(per_second=10, clock=clock)
    alone = redraws_in(budget, clock, ["s"], seconds=10)
    assert alone["s"] >= 45            # every 0.2 s (reports 5x/s): not slowed down
    crowd = [f"s{i}" for i in range(25)]
    counts = redraws_in(budget, clock, crowd + ["lecturer"], seconds=30, exempt={"lecturer"})
    assert counts["lecturer"] >= 5 * 30 * 0.95
    assert max(counts[s] for s in crowd) <= 30 * 10 / 25 * 1.2


def test_sessions_that_stopped_watching_no_longer_count():
    clock = Clock()
    budget = RedrawBudget(per_second=10, clock=clock)
    for i in range(20):
        budget.next_redraw(f"s{i}")
    assert budget.watching == 20
    clock.now += ACTIVE_SECONDS + 3
    assert budget.next_redraw("s0") - clock.now <= 0.1 + 1e-9
    assert budget.watching == 1


def test_the_budget_is_read_from_the_environment():
    assert per_second_default({"MBCORE_REDRAWS_PER_SECOND": "30"}) == 30
    assert per_second_default({"MBCORE_REDRAWS_PER_SECOND": "many"}) == 12
    assert per_second_default({}) == 12
