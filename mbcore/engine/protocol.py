"""What the server and a training worker say to each other: the one definition both use.

A page asks for a TrainJob; the worker answers with Events (started, progress,
finished) and, at the end, a Result. Statuses and event types are enums, the
result a dataclass, so no side reads a dict with `.get(..., default)`.

Results can be written as bytes in a safe format (`Result.to_bytes`): NumPy
arrays in an .npz archive (loaded with allow_pickle=False) plus JSON for
everything else. That is what goes to disk or across machines; a pickle read
from a shared folder or a network store would run whatever code it holds.
"""
from __future__ import annotations

import dataclasses
import io
import json
import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from mbcore.settings import Settings, spec_of

MAX_RESULT_BYTES = 256 * 2**20     # a result larger than this is refused when read
# A worker's job may hand its Result over before it returns:
# `worker_state[LATE_FILES](result)` sends it (with `keras_pending` set) as the
# job's end, and what the job then returns only brings the files written after
# (the .keras model: seconds for a deep net), which the runner adds to that
# Result. So Stop and the end of a training reach the page without waiting
# for the model file.
LATE_FILES = "finish_early"
# `worker_state[CROWDED]`, where an engine offers it, is a threading.Event set
# while trainings wait for a worker: a training then skips the pacing of its
# first reports (Trainer.fit's `hurry`), which holds its worker idle.
CROWDED = "crowded"
# How many traced networks a worker keeps (training.job.TrainerCache), and so how
# many the server remembers per worker for warm-ups (engine.worker.Worker.traced)
TRACED_PER_WORKER = 3


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({Status.DONE, Status.STOPPED, Status.DIVERGED, Status.FAILED,
                      Status.CANCELLED})
# finished states that say nothing about what a fresh run would give: not shared
NOT_SHAREABLE = frozenset({Status.STOPPED, Status.FAILED, Status.CANCELLED})


class EventType(StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    PROGRESS = "progress"
    FINISHED = "finished"


@dataclass(frozen=True)
class TrainJob:
    """What to train: a lesson's settings, how many epochs, optional resume state.

    `runs_alone` comes from the lesson (Lesson.runs_alone), set by whoever
    resolved it, so the pool never looks the lesson up again. `presenter` marks
    the lecturer's trainings (presenter mode, a walkthrough's presenter): engines
    serve them before the class's queue. Neither is part of what the work is.

    A `warm_up` job trains one epoch only to have a worker trace the network
    (build it, compile its training step) before anyone presses Train; its
    result is thrown away (engine.warm_up)."""
    settings: Settings
    epochs: int | None = None
    resume: bytes | None = None
    runs_alone: bool = False
    presenter: bool = False
    warm_up: bool = False

    def key(self) -> tuple:
        """Identity of the work: identical keys share one training."""
        return (type(self.settings).__name__, self.settings, self.epochs, self.resume)

    def trace_key(self) -> tuple:
        """What a worker's traced trainer is kept by, near enough: the settings
        without the seed and the epochs, which a new job may change and still
        reuse the trace (training.job's cache decides exactly)."""
        cls = type(self.settings)
        free = {name: spec_of(cls, name).default for name in ("seed", "epochs")
                if hasattr(self.settings, name)}
        return (cls.__name__, dataclasses.replace(self.settings, **free))

    def warming(self) -> "TrainJob":
        """The warm-up job for these settings: one epoch, nothing kept."""
        return dataclasses.replace(self, epochs=1, resume=None, presenter=False, warm_up=True)


@dataclass(frozen=True)
class Event:
    """One thing that happened to a job. Progress events carry the new epoch rows
    (one dict of curve values per epoch) and, now and then, live predictions."""
    type: EventType
    time: float = field(default_factory=time.time)
    epoch: int = 0
    epochs: int = 0
    rows: tuple = ()
    predictions: dict | None = None
    status: Status | None = None      # finished events
    message: str = ""
    cached: bool = False              # finished at once from a stored result
    pid: int = 0                      # started events: the worker process

    # -- JSON, for engines whose events cross machines (predictions as lists) ----
    def to_json(self) -> str:
        return json.dumps(_jsonable(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, text: str | bytes) -> "Event":
        values = json.loads(text)
        values["type"] = EventType(values["type"])
        values["status"] = Status(values["status"]) if values.get("status") else None
        values["rows"] = tuple(values.get("rows") or ())
        return cls(**values)


@dataclass
class Result:
    """A finished training as plain data (no Keras objects)."""
    status: Status
    message: str = ""
    lesson: str = ""
    kind: str = ""                    # "regression" or "classification"
    epoch: int = 0                    # epochs finished
    epochs: int = 0                   # epochs asked for
    seconds: float = 0.0              # inside the training loop
    setup_seconds: float = 0.0        # building, tracing, data
    reused_trace: bool = False        # the worker had this network traced (a warm-up, a job before)
    callback_seconds: float = 0.0     # progress reports
    history: dict = field(default_factory=dict)      # curve name -> value per epoch
    final: dict = field(default_factory=dict)        # last validation values
    val_name: str = "validation"      # or "held-out", "test": what the data calls it
    predictions: dict = field(default_factory=dict)  # output name -> array (validation inputs)
    state: bytes | None = None        # resumable trainer state (npz bytes)
    insights: dict = field(default_factory=dict)     # what the page looks at inside the model
    keras: bytes | None = None        # the .keras file
    keras_error: str = ""             # why there is no .keras file
    keras_pending: bool = False       # the worker is still writing the .keras file

    @property
    def size(self) -> int:
        """Bytes held by the result's arrays and files (what memory budgets count)."""
        return _size(dataclasses.asdict(self))

    def public(self) -> dict:
        """The JSON-friendly part, for `train --json` (no bytes, arrays as lists)."""
        skip = ("state", "keras")
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items() if k not in skip}

    # -- safe bytes: .npz for arrays and files, JSON for the rest ----------------
    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        meta = _pack(dataclasses.asdict(self), arrays, "r")
        buf = io.BytesIO()
        np.savez(buf, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                 **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "Result":
        if len(blob) > MAX_RESULT_BYTES:
            raise ValueError(f"stored result of {len(blob)} bytes is over the limit")
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
        values = _unpack(meta, arrays)
        values["status"] = Status(values["status"])
        return cls(**values)


def _size(value) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return int(getattr(value, "nbytes", 0))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pack(value, arrays: dict, path: str):
    """JSON for structure and numbers; arrays and bytes go to `arrays` by path."""
    if isinstance(value, dict):
        return {"d": {str(k): _pack(v, arrays, f"{path}.{i}")
                      for i, (k, v) in enumerate(value.items())}}
    if isinstance(value, (list, tuple)):
        return {"l": [_pack(v, arrays, f"{path}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, (bytes, bytearray)):
        arrays[path] = np.frombuffer(bytes(value), dtype=np.uint8)
        return {"b": path}
    if isinstance(value, np.ndarray):
        arrays[path] = value
        return {"a": path}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unpack(meta, arrays: dict):
    if isinstance(meta, dict):
        if "d" in meta:
            return {k: _unpack(v, arrays) for k, v in meta["d"].items()}
        if "l" in meta:
            return [_unpack(v, arrays) for v in meta["l"]]
        if "b" in meta:
            return arrays[meta["b"]].tobytes()
        if "a" in meta:
            return arrays[meta["a"]]
    return meta


# -- curve names in a history: "loss", "sin_output_loss", "val_loss", "val_accuracy" ---------
VAL_PREFIX = "val_"


def is_val(key: str) -> bool:
    """Whether a history key is a validation curve (Keras's naming)."""
    return key.startswith(VAL_PREFIX)


def base_name(key: str) -> str:
    """The curve's name without its validation prefix."""
    return key[len(VAL_PREFIX):] if is_val(key) else key
