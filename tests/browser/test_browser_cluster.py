"""Two Streamlit replicas on one Redis and one Celery worker, as behind a load
balancer: a student on replica A starts a training, a student on replica B with
the same settings joins it over the network and sees the same curve finish;
exactly one training ran in the whole cluster."""
import re

import pytest
import redis

from mbcore.engine.redis_state import PREFIX
from mbcore.engine.services import (NO_REDIS, free_port, redis_server, start_redis,
                                    start_replica, start_worker, stop)

from .stbrowser import SERVER_START_TIMEOUT, StPage, wait_healthy

SETTINGS = "n_train=100&n_val=40&left_depth=1&right_depth=1&epochs=150&seed=3"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    if redis_server() is None:
        pytest.fail(NO_REDIS)
    folder = tmp_path_factory.mktemp("replicas")
    redis_proc, url = start_redis(folder)
    groups = [redis_proc, start_worker(url, folder, "w0")]
    try:
        ports = [free_port(), free_port()]
        groups += [start_replica(url, folder, port) for port in ports]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, proc in zip(bases, groups[2:]):
            wait_healthy(base, proc, SERVER_START_TIMEOUT)
        yield url, bases
    finally:
        for g in reversed(groups):
            stop(g)


def finished(tab: StPage):
    page = tab.page
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="wall time")).first


def test_a_session_on_another_replica_joins_the_same_training(replicas, browser):
    url, bases = replicas
    ctx = browser.new_context()
    try:
        tabs = [StPage(ctx.new_page(), base).goto("multi_io?" + SETTINGS) for base in bases]
        for tab in tabs:
            tab.assert_no_exception()
        for tab in tabs:
            tab.page.get_by_role("button", name=re.compile(r"Train$")).first.click()
        for tab in tabs:
            finished(tab).wait_for(state="visible", timeout=240_000)
            tab.wait_idle()
            tab.assert_no_exception()
        progress = [t.page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
                    .first.inner_text() for t in tabs]
        assert all("Epoch 150/150" in p for p in progress), progress
        assert int(redis.Redis.from_url(url).get(f"{PREFIX}trainings_run")) == 1
        # the same training's final figures on both (the wall times may differ)
        metrics = [[m for m in t.page.locator('[data-testid="stMetric"]').all_inner_texts()
                    if "wall time" not in m] for t in tabs]
        assert metrics[0] and metrics[0] == metrics[1]
    finally:
        ctx.close()
