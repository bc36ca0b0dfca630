"""A page's view of one training job, kept apart from Streamlit so it can be tested.

A Watch follows one job of the shared JobRunner: it reads the job's Events
incrementally, keeps the per-epoch rows, and turns the finished job's Result
into an Outcome (plain arrays and numbers) that the pages draw from. The
Experiment a job was started with travels with it, so a page can tell when the
result on screen no longer matches its controls.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from mbcore.engine.protocol import FINISHED, EventType, Result, Status, TrainJob, is_val
from mbcore.engine.celery_engine import ClusterUnavailable
from mbcore.engine.engine import shared_engine, start_job
from mbcore.engine.engine import warm_up as engine_warm_up
from mbcore.lessons import Experiment
from mbcore.settings import Settings

LOST = "the training job was lost; train again"


@dataclass
class Outcome:
    """What a training came to (finished, stopped, or so far), as the pages draw it."""
    key: str
    settings: Settings
    status: Status
    message: str
    epoch: int
    epochs: int
    history: dict
    final: dict
    predictions: dict
    seconds: float
    insights: dict = field(default_factory=dict)
    val_name: str = "validation"        # or "held-out", "test": what the data calls it
    train_seconds: float = 0.0          # inside the training loop only (no start-up)

    def find(self, suffix: str, val: bool = False) -> str | None:
        """The history key ending in `suffix` (train or validation side)."""
        keys = [k for k in self.history if is_val(k) == val and k.endswith(suffix)]
        return min(keys, key=len) if keys else None

    def last(self, key: str | None) -> float | None:
        values = self.history.get(key) if key else None
        return values[-1] if values else None


def train_job(exp: Experiment, epochs: int | None = None, resume: bytes | None = None,
              presenter: bool = False) -> TrainJob:
    """The job an experiment asks the engine for (the lesson says if it runs alone)."""
    return TrainJob(exp.settings, epochs, resume, runs_alone=exp.lesson.runs_alone,
                    presenter=presenter)


def warm_up(exp: Experiment) -> bool:
    """Have idle workers trace this experiment's network while the page is read,
    so that its Train does not wait for the trace (engine.warm_up)."""
    return engine_warm_up(train_job(exp))


class Watch:
    """Follows one job: status, rows so far, and the Outcome once it has finished."""

    def __init__(self, exp: Experiment, epochs: int | None = None, owner: str = "",
                 resume: bytes | None = None, rows: list | None = None,
                 presenter: bool = False):
        self.exp = exp
        # Identical requests from anyone share one training; this Watch is one
        # of its watchers, and keeps it alive by polling.
        self.watcher = uuid.uuid4().hex
        self.presenter = presenter       # the lecturer's: served before the class's
        job = train_job(exp, epochs, resume, presenter)
        self.seen = 0
        self.status = Status.QUEUED
        self.message = ""
        try:
            self.id = start_job(job, watcher=self.watcher, owner=owner, share=True)
        except ClusterUnavailable as err:      # no fallback configured: say why, no job
            self.id, self.status, self.message = "", Status.FAILED, str(err)
        self.rows: list[dict] = list(rows or [])     # a resumed training's earlier epochs
        self.epochs = int(epochs or exp.settings.epochs)
        self.times: dict[EventType, float] = {}
        self.run: Outcome | None = None
        self.live_predictions: dict = {}     # sent with progress events, now and then

    @property
    def settings(self) -> Settings:
        return self.exp.settings

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def epoch(self) -> int:
        return len(self.rows)

    def update(self) -> "Watch":
        """Read the events that arrived since the last call."""
        if self.finished:
            return self
        runner = shared_engine()
        try:
            events = runner.events(self.id, self.seen, watcher=self.watcher)
        except KeyError:           # the runner was restarted: the job is gone
            self.status, self.message = Status.FAILED, LOST
            return self
        self.seen += len(events)
        for ev in events:
            self.times.setdefault(ev.type, ev.time)
            if ev.type == EventType.STARTED:
                self.status = Status.RUNNING
            elif ev.type == EventType.PROGRESS:
                self.rows += ev.rows
                self.epochs = ev.epochs or self.epochs
                if ev.predictions:
                    self.live_predictions = ev.predictions
            elif ev.type == EventType.FINISHED:
                self.status, self.message = ev.status, ev.message
                result = runner.result(self.id)
                if result is not None:
                    self.run = self._outcome(result)
        return self

    def wait_for_news(self, timeout: float, interrupted=lambda: False,
                      earliest: float = 0.0, step: float = 0.1) -> "Watch":
        """update(), waiting up to `timeout` seconds for a new epoch, a new status,
        the end or (while queued) a move of the queue, so that a page redraws its
        curves when they have grown, not on a timer; not before the monotonic time
        `earliest` (a redraw budget) unless the job has ended. `interrupted()` true
        (the user asked for something) ends the wait; it is asked every `step` s.

        The wait sleeps on the engine's news board and reads the engine only when
        the board says the job has news (or, while the board is not live, every
        `step` seconds)."""
        board = shared_engine().news
        end = time.monotonic() + timeout
        epoch, status = self.epoch, self.status
        queued = status == Status.QUEUED
        mark, moved = board.mark(self.id), False
        self.update()
        while True:
            now = time.monotonic()
            news = self.epoch != epoch or self.status != status or moved
            if self.finished or now >= end or interrupted() or (news and now >= earliest):
                return self
            if board.wait(self.id, mark, min(step, end - now), queued=queued) \
                    or not board.live:
                fresh = board.mark(self.id)
                moved = moved or (queued and fresh[1] != mark[1])
                mark = fresh
                self.update()

    def wait_for_end(self, timeout: float, step: float = 0.02) -> "Watch":
        """update() until the job has finished or `timeout` seconds have passed
        (after a Stop, so the same page run already shows where it ended)."""
        end = time.monotonic() + timeout
        while not self.update().finished and time.monotonic() < end:
            time.sleep(step)
        return self

    def cancel(self) -> None:
        """Stop: the training ends unless someone else is watching the same one,
        in which case only this page lets go of it."""
        if self.finished:
            return
        runner = shared_engine()
        if runner.release(self.id, self.watcher):
            return                 # the stop arrives as the job's last event
        try:
            others = runner.watchers(self.id)
        except KeyError:           # the runner was restarted: nothing left to stop
            self.status, self.message = Status.STOPPED, LOST
            return
        if others:
            self.status = Status.STOPPED
            self.message = ("You stopped watching. Others asked for exactly the same "
                            "training, so it goes on for them.")
        # else it had just finished: update() reads its result

    @property
    def resumable(self) -> bool:
        """Stopped part way by its own watcher, with something learned."""
        return (self.status == Status.STOPPED and self.run is not None
                and 0 < self.epoch < self.epochs)

    def continued(self, owner: str = "") -> "Watch | None":
        """A new Watch training on from where this stopped one ended, to the same
        number of epochs; None when the server no longer keeps its state."""
        result = _result(self.id)
        if not self.resumable or result is None or result.state is None:
            return None
        return Watch(self.exp, self.epochs, owner, resume=result.state, rows=self.rows,
                     presenter=self.presenter)

    @property
    def position(self) -> int:
        """Place in the queue while waiting for a worker (1 = next), else 0."""
        try:
            return shared_engine().position(self.id) if self.status == Status.QUEUED else 0
        except KeyError:
            return 0

    @property
    def history(self) -> dict:
        if self.run is not None:
            return self.run.history
        return {k: [r[k] for r in self.rows] for k in (self.rows[0] if self.rows else {})}

    @property
    def wall_time(self) -> float:
        end = self.times.get(EventType.FINISHED)
        start = self.times.get(EventType.STARTED, self.times.get(EventType.QUEUED, 0.0))
        return (end - start) if end else 0.0

    def snapshot(self) -> Outcome:
        """The finished Outcome, or a provisional one with the curves and predictions so far."""
        if self.run is not None:
            return self.run
        return self._outcome(Result(status=self.status, epoch=self.epoch, epochs=self.epochs,
                                    history=self.history, predictions=self.live_predictions))

    def _outcome(self, result: Result) -> Outcome:
        return Outcome(key=self.id, settings=self.settings, status=result.status,
                       message=result.message, epoch=result.epoch, epochs=result.epochs,
                       history=dict(result.history), final=dict(result.final),
                       predictions={k: np.asarray(v) for k, v in result.predictions.items()},
                       seconds=self.wall_time or result.seconds, insights=dict(result.insights),
                       val_name=result.val_name, train_seconds=result.seconds)


def _result(job_id: str) -> Result | None:
    try:
        return shared_engine().result(job_id)
    except KeyError:
        return None


PENDING = "the model file is still being written (a few seconds after the training ended)"


def model_file(run: Outcome, wait: float = 0.0) -> tuple[bytes | None, str]:
    """The run's trained model as .keras bytes, or None and the reason.

    The file stays in the runner's result (one copy for everyone who watched the
    same training, within the runner's memory budget), never in a session. The
    worker writes it after the training has ended (so that Stop lands at once):
    `wait` seconds for it while it is still being written.
    """
    end = time.monotonic() + wait
    result = _result(run.key)
    while result is not None and result.keras_pending and time.monotonic() < end:
        time.sleep(0.1)
        result = _result(run.key)
    if result is not None and result.keras_pending:
        return None, PENDING
    if result is None:
        return None, ("the server no longer keeps this result (it keeps the latest ones); "
                      "train again for the file")
    if result.keras is not None:
        return result.keras, ""
    if result.keras_error:
        return None, f"writing it failed ({result.keras_error})"
    if result.status == Status.DIVERGED:
        return None, "the training diverged, its weights are not numbers"
    if not result.epoch:
        return None, "no epoch was finished"
    return None, "the training ended before its model file was written"
