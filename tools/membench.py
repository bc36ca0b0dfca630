"""Memory over a lecture: 50 trainings across all lessons through the server's pool.

This process plays the Streamlit server (it never imports TensorFlow; it keeps
only results), the pool's workers do the training and are recycled. Reports the
server's resident memory after the 10th and the 50th training and the peak of
server plus workers. Run: python tests/membench.py [--trainings 50] [--json]
(MBCORE_WORKERS=1 for the small Streamlit Community Cloud setting).

With --biggest it instead trains every lesson once at its biggest allowed
settings (one epoch, each in a fresh worker) and reports each worker's peak.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from loadtest import Sampler, _rss_mb, own_peak_rss_mb  # noqa: E402


def settings_cycle():
    """Every lesson's presets (few epochs), each with a new seed, round and round."""
    from mbcore.lessons import ALL_LESSONS
    variants = [(lesson, name) for lesson in ALL_LESSONS.values() for name in lesson.presets
                if "full size" not in name]
    for n in itertools.count():
        lesson, name = variants[n % len(variants)]
        s = lesson.preset(name)
        yield s.replace(seed=n, epochs=min(s.epochs, 5))


# A seed or a number of epochs costs no memory; every other whole number is a size.
NOT_SIZES = ("seed", "epochs")
# What one worker may peak at: two of them and the server stay under 2 GB.
WORKER_BUDGET_MB = 900


def biggest_settings(lesson, epochs: int = 1):
    """The lesson's biggest allowed settings: every size (samples, widths, layers,
    blocks, batch...) at the top of its range, and each choice (merge, on/off...)
    the one that gives the most parameters, the default on a tie."""
    from mbcore.settings import SettingsError, specs
    cls = lesson.settings_cls
    values = {s.name: s.hi for s in specs(cls) if s.type is int and s.name not in NOT_SIZES}
    values["epochs"] = epochs
    for spec in specs(cls):
        options = spec.choices or ((True, False) if spec.type is bool else ())
        best = None
        for choice in sorted(options, key=lambda c: c != spec.default):
            try:
                params = lesson.architecture(cls(**{**values, spec.name: choice})).params
            except SettingsError:
                continue
            if best is None or params > best[0]:
                best = (params, choice)
        if best is not None:
            values[spec.name] = best[1]
    return cls(**values)


def peak_rss_job(job, emit, stop, state) -> dict:
    """A training job that also reports its worker's peak resident memory so far.

    A job of 0 epochs trains nothing: run after a training on the same worker,
    its figure includes the sending of that training's result."""
    from mbcore.engine.protocol import Result, Status
    from mbcore.training.job import run_train_job
    result = run_train_job(job, emit, stop, state) if job.epochs != 0 else Result(Status.DONE)
    result.insights["peak_rss_mb"] = own_peak_rss_mb()
    return result


def worker_peak(settings, timeout: float):
    """Train `settings` in a fresh worker: (the training's Result or None, the
    worker's peak resident MB from start to the result sent)."""
    from mbcore.engine.protocol import TrainJob
    from mbcore.engine.runner import JobRunner
    runner = JobRunner(workers=1, jobs_per_worker=2, job_fn="membench:peak_rss_job")
    try:
        result = runner.wait(runner.start(TrainJob(settings)), timeout)
        probe = runner.wait(runner.start(TrainJob(settings, epochs=0)), 60)
    finally:
        runner.shutdown()
    peaks = [r.insights.get("peak_rss_mb", 0.0) for r in (result, probe) if r is not None]
    return result, max(peaks, default=0.0)


def run_biggest() -> dict:
    """Each lesson's biggest settings, one epoch, each in a fresh worker."""
    from mbcore.lessons import ALL_LESSONS
    lessons = {}
    for lesson in ALL_LESSONS.values():
        began = time.monotonic()
        result, peak = worker_peak(biggest_settings(lesson), 1800)
        lessons[lesson.id] = {"status": str(result.status) if result else "no result",
                              "message": result.message if result else "",
                              "peak_rss_mb": round(peak, 1),
                              "seconds": round(time.monotonic() - began, 1)}
    worst = max(v["peak_rss_mb"] for v in lessons.values())
    return {"worker_budget_mb": WORKER_BUDGET_MB, "max_worker_peak_mb": worst,
            "within_budget": worst <= WORKER_BUDGET_MB, "lessons": lessons}


def run(trainings: int) -> dict:
    from mbcore.engine.protocol import TrainJob
    from mbcore.engine.runner import shared_runner
    from mbcore.lessons import lesson_of
    runner = shared_runner()
    sampler = Sampler()
    sampler.start()
    server = {}
    began = time.monotonic()
    source = settings_cycle()
    pending = []
    for i in range(1, trainings + 1):
        settings = next(source)
        job = TrainJob(settings, runs_alone=lesson_of(settings).runs_alone)
        pending.append(runner.start(job, watcher=f"student{i}", share=True))
        while len(pending) >= len(runner.worker_pids()) + 1:      # keep the pool busy
            for job in list(pending):
                runner.events(job, watcher=f"student{i}")
                if runner.result(job) is not None or runner.status(job) in ("failed",
                                                                            "cancelled"):
                    pending.remove(job)
            time.sleep(0.1)
        if i in (10, trainings):
            server[i] = _rss_mb([os.getpid()])
    for job in pending:
        runner.wait(job, 600)
    time.sleep(1.0)
    at_end = _rss_mb([os.getpid(), *runner.worker_pids()])
    sampler.running = False
    report = {"trainings": trainings, "workers": runner._size,
              "server_rss_mb_at_10": round(server.get(10, 0.0), 1),
              f"server_rss_mb_at_{trainings}": round(server[trainings], 1),
              "server_growth_mb": round(server[trainings] - server.get(10, server[trainings]), 1),
              "peak_total_rss_mb": round(sampler.peak, 1),
              "total_rss_mb_after": round(at_end, 1),
              "failed": sum(1 for j in runner._jobs.values() if j.status == "failed"),
              "total_s": round(time.monotonic() - began, 1)}
    runner.shutdown()
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainings", type=int, default=50)
    parser.add_argument("--biggest", action="store_true",
                        help="train each lesson's biggest allowed settings instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run_biggest() if args.biggest else run(max(10, args.trainings))
    print(json.dumps(report, indent=2) if args.json else
          "\n".join(f"{k:24} {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
