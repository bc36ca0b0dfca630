"""A page's view of training jobs, kept apart from Streamlit so it can be tested.

A Watch follows one job of the shared JobRunner: it reads the job's events
incrementally, keeps the per-epoch rows, and turns the finished job's result
into a Run (plain arrays and numbers) that the pages draw from. The settings
a job was started with travel with it, so a page can tell when the result on
screen no longer matches its controls.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np

from mbcore.jobs import FINISHED, TrainJob, shared_runner
from mbcore.settings import Settings, field_names, spec_of


@dataclass
class Run:
    """A finished (or stopped) training, as the pages need it."""
    key: str
    settings: Settings
    status: str
    message: str
    epoch: int
    epochs: int
    history: dict
    final: dict
    predictions: dict
    seconds: float
    extras: dict = field(default_factory=dict)
    val_name: str = "validation"        # or "held-out", "test": what the data calls it
    train_seconds: float = 0.0          # inside the training loop only (no start-up)

    def find(self, suffix: str, val: bool = False) -> str | None:
        """The history key ending in `suffix` (train or validation side)."""
        keys = [k for k in self.history if k.startswith("val_") == val and k.endswith(suffix)]
        return min(keys, key=len) if keys else None

    def last(self, key: str | None) -> float | None:
        values = self.history.get(key) if key else None
        return values[-1] if values else None


class Watch:
    """Follows one job: status, rows so far, and the Run once it has finished."""

    def __init__(self, settings: Settings, epochs: int | None = None, owner: str = "",
                 resume: bytes | None = None, rows: list | None = None):
        self.settings = settings
        # Identical requests from anyone share one training; this Watch is one
        # of its watchers, and keeps it alive by polling.
        self.watcher = uuid.uuid4().hex
        self.id = shared_runner().start(TrainJob(settings, epochs, resume), watcher=self.watcher,
                                        owner=owner, share=True)
        self.seen = 0
        self.status = "queued"
        self.message = ""
        self.rows: list[dict] = list(rows or [])     # a resumed training's earlier epochs
        self.epochs = int(epochs or settings.epochs)
        self.times: dict[str, float] = {}
        self.run: Run | None = None
        self.live_predictions: dict = {}     # sent with progress events, if the worker does

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
        runner = shared_runner()
        try:
            events = runner.events(self.id, self.seen, watcher=self.watcher)
        except KeyError:           # the runner was restarted: the job is gone
            self.status, self.message = "failed", "the training job was lost; train again"
            return self
        self.seen += len(events)
        for ev in events:
            self.times.setdefault(ev["type"], ev.get("time", 0.0))
            if ev["type"] == "started":
                self.status = "running"
            elif ev["type"] == "progress":
                self.rows += ev.get("rows", [])
                self.epochs = ev.get("epochs", self.epochs)
                if ev.get("predictions"):
                    self.live_predictions = ev["predictions"]
            elif ev["type"] == "finished":
                self.status, self.message = ev["status"], ev.get("message", "")
                result = runner.result(self.id)
                if result is not None:
                    self.run = self._to_run(result)
        return self

    def cancel(self) -> None:
        """Stop: the training ends unless someone else is watching the same one,
        in which case only this page lets go of it."""
        if self.finished:
            return
        runner = shared_runner()
        if runner.release(self.id, self.watcher):
            return                 # the stop arrives as the job's last event
        try:
            others = runner.watchers(self.id)
        except KeyError:           # the runner was restarted: nothing left to stop
            self.status, self.message = "stopped", "the training job was lost; train again"
            return
        if others:
            self.status = "stopped"
            self.message = ("You stopped watching. Others asked for exactly the same "
                            "training, so it goes on for them.")
        # else it had just finished: update() reads its result

    @property
    def resumable(self) -> bool:
        """Stopped part way by its own watcher, with something learned."""
        return self.status == "stopped" and self.run is not None and 0 < self.epoch < self.epochs

    def continued(self, owner: str = "") -> "Watch | None":
        """A new Watch training on from where this stopped one ended, to the same
        number of epochs; None when the server no longer keeps its state."""
        try:
            result = shared_runner().result(self.id)
        except KeyError:
            result = None
        if not self.resumable or not result or result.get("state") is None:
            return None
        return Watch(self.settings, self.epochs, owner, resume=result["state"], rows=self.rows)

    @property
    def position(self) -> int:
        """Place in the queue while waiting for a worker (1 = next), else 0."""
        try:
            return shared_runner().position(self.id) if self.status == "queued" else 0
        except KeyError:
            return 0

    @property
    def history(self) -> dict:
        if self.run is not None:
            return self.run.history
        return {k: [r[k] for r in self.rows] for k in (self.rows[0] if self.rows else {})}

    @property
    def wall_time(self) -> float:
        end = self.times.get("finished")
        start = self.times.get("started", self.times.get("queued", 0.0))
        return (end - start) if end else 0.0

    def snapshot(self) -> Run:
        """The finished Run, or a provisional one with the curves and predictions so far."""
        if self.run is not None:
            return self.run
        return self._to_run({"status": self.status, "epoch": self.epoch,
                             "history": self.history, "predictions": self.live_predictions})

    def _to_run(self, result: dict) -> Run:
        preds = {k: np.asarray(v) for k, v in (result.get("predictions") or {}).items()}
        return Run(key=self.id, settings=self.settings, status=result.get("status", self.status),
                   message=result.get("message", ""), epoch=int(result.get("epoch", self.epoch)),
                   epochs=int(result.get("epochs", self.epochs)),
                   history=dict(result.get("history") or {}),
                   final=dict(result.get("final") or {}), predictions=preds,
                   seconds=self.wall_time or float(result.get("seconds", 0.0)),
                   extras=dict(result.get("insights") or {}),
                   val_name=result.get("val_name", "validation"),
                   train_seconds=float(result.get("seconds", 0.0)))


def model_file(run: Run) -> tuple[bytes | None, str]:
    """The run's trained model as .keras bytes, or None and the reason.

    The file stays in the runner's result (one copy for everyone who watched the
    same training, within the runner's memory budget), never in a session.
    """
    try:
        result = shared_runner().result(run.key)
    except KeyError:
        result = None
    if result is None:
        return None, ("the server no longer keeps this result (it keeps the latest ones); "
                      "train again for the file")
    if result.get("keras") is not None:
        return result["keras"], ""
    if result.get("keras_error"):
        return None, f"writing it failed ({result['keras_error']})"
    if result.get("status") == "diverged":
        return None, "the training diverged, its weights are not numbers"
    if not result.get("epoch"):
        return None, "no epoch was finished"
    return None, "this result is older than model files: train again for one"


def changes(old: Settings, new: Settings) -> dict:
    """Fields whose value differs: name -> (old, new)."""
    if type(old) is not type(new):
        return {"lesson": (type(old).lesson_id, type(new).lesson_id)}
    return {n: (getattr(old, n), getattr(new, n)) for n in field_names(type(new))
            if getattr(old, n) != getattr(new, n)}


def settings_diff(a: Settings, b: Settings) -> list[dict]:
    """The fields that differ between run A's and run B's settings, one row each,
    named by the settings table's labels and written as in a link."""
    rows = []
    for name, (old, new) in changes(a, b).items():
        if name == "lesson":
            rows.append({"setting": "lesson", "A": old, "B": new})
            continue
        spec = spec_of(type(b), name)
        rows.append({"setting": spec.label, "A": spec.to_text(old), "B": spec.to_text(new)})
    return rows


def final_numbers(a: Run, b: Run) -> list[dict]:
    """What A and B ended with: each validation curve's last value (the curves the
    charts show, so no metric that repeats a loss), then the epochs run."""
    rows: dict[str, dict] = {}
    for side, run in (("A", a), ("B", b)):
        losses, metrics = loss_and_metric_series(run.history)
        named = {**{loss_label(k[4:]): v for k, v in losses.items() if k.startswith("val ")},
                 **{k[4:].replace("_", " "): v for k, v in metrics.items() if k.startswith("val ")}}
        for name, values in named.items():
            measure = (f"{name[:-1]}, {run.val_name})" if name.endswith(")")
                       else f"{name} ({run.val_name})")
            row = rows.setdefault(name, {"measure": measure, "A": None, "B": None})
            row[side] = values[-1] if values else None
    return [*rows.values(), {"measure": "epochs", "A": a.epoch, "B": b.epoch}]


def loss_label(name: str) -> str:
    """A loss curve's name as a reader says it: 'sin_output' -> 'sin output loss'."""
    return name if "loss" in name else ("total loss (weighted)" if name.startswith("total")
                                        else f"{name.replace('_', ' ')} loss")


def loss_and_metric_series(history: dict) -> tuple[dict, dict]:
    """Split a history into loss curves and metric curves, with readable names.

    'loss' is the weighted total; '<output>_loss' are the outputs' own losses
    (left out when there is one output: it equals the total). A metric that
    repeats a loss value for value (mse as both loss and metric) is dropped.
    """
    outputs = [k[:-5] for k in history if k.endswith("_loss") and not k.startswith("val_")]
    losses, metrics = {}, {}
    for key, values in history.items():
        val = key.startswith("val_")
        base = key[4:] if val else key
        prefix = "val " if val else ""
        if base == "loss":
            losses[prefix + ("total (weighted)" if len(outputs) > 1 else "loss")] = values
        elif base.endswith("_loss"):
            if len(outputs) > 1:
                losses[prefix + base[:-5]] = values
        elif not any(np.allclose(values, history[k]) for k in history
                     if k.endswith("loss") and k.startswith("val_") == val
                     and len(history[k]) == len(values)):
            metrics[prefix + base] = values
    return losses, metrics
