"""Sessions over the network (tools/stclient.py, Streamlit's websocket protocol)
against real servers: the load test end to end, small, and a replica restarted
under a cluster finding its finished result again."""
import asyncio
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
import sys

import pytest
import redis

from conftest import ROOT
from loadtest import _healthy, query
from mbcore.engine.redis_state import PREFIX
from mbcore.engine.services import (NO_REDIS, free_port, redis_server, start_redis,
                                    start_replica, start_worker, stop, wait_for)
from stclient import Session


def test_two_identical_sessions_over_the_network_share_one_training():
    proc = subprocess.run([sys.executable, "-m", "mbcore", "loadtest", "--sessions", "2",
                           "--distinct", "1", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, report
    assert report["sessions"] == 2 and report["finished"] == 2 and report["errors"] == 0
    assert report["trainings_run"] == 1
    assert report["max_wait_s"] > 0 and report["throughput_per_min"] > 0
    kinds = report["peak_rss_mb_by_kind"]
    assert kinds["replicas"] > 50 and kinds["workers"] > 50
    # each kind's peak and the whole's are sampled together but may fall on different
    # samples: the whole's peak lies between the biggest kind's and their sum
    assert max(kinds.values()) <= report["peak_rss_mb"] <= sum(kinds.values()) + 1
    cpu = report["cpu_s_by_kind"]      # the one training's time went to a worker
    assert cpu["workers"] > 0.5 and cpu["replicas"] > 0 and cpu["clients"] > 0


def trained(base: str, seed: int) -> dict:
    """Open the page in a new session, press Train, wait for the result: its metrics."""
    async def go():
        s = await Session(base, "multi_io", query(seed)).open(120)
        try:
            await s.press("train_start")
            await s.until(lambda: "wall time" in s.metrics, 240)
            return dict(s.metrics)
        finally:
            await s.close()
    # Its own thread: a browser test earlier in the run may leave Playwright's
    # event loop running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def test_a_restarted_replica_finds_its_finished_result_in_redis(tmp_path):
    if redis_server() is None:
        pytest.fail(NO_REDIS)
    redis_proc, url = start_redis(tmp_path)
    groups = [redis_proc, start_worker(url, tmp_path, "w0")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        replica = start_replica(url, tmp_path, port)
        assert wait_for(lambda: _healthy(base), 120, every=0.3)
        first = trained(base, seed=5)
        stop(replica)
        replica = start_replica(url, tmp_path, port)       # the same replica, restarted
        assert wait_for(lambda: _healthy(base), 120, every=0.3)
        again = trained(base, seed=5)
        assert int(redis.Redis.from_url(url).get(f"{PREFIX}trainings_run")) == 1
        same = {k: v for k, v in first.items() if k != "wall time"}
        assert same == {k: v for k, v in again.items() if k != "wall time"} and len(same) > 3
    finally:
        stop(replica)
        for g in reversed(groups):
            stop(g)
