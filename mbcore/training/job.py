"""Training one Experiment end to end: model, data and recipe -> Trainer -> a
protocol.Result (plain data, no Keras objects), for the command line and workers.

A worker keeps a few traced trainers in a TrainerCache: when a new job
differs only in seed, learning rate or epochs, the compiled training
function is reused and only the variables are reset, which saves the trace
(seconds) and the memory each traced function leaks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections import OrderedDict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from mbcore.engine.protocol import (CROWDED, LATE_FILES, TRACED_PER_WORKER, Event,  # noqa: E402
                                    EventType, Result, Status, TrainJob)
from mbcore.lessons import Experiment  # noqa: E402
from mbcore.network.builder import build_model, initial_weights  # noqa: E402
from mbcore.training.insights import Live  # noqa: E402
from mbcore.training.memory import release_memory  # noqa: E402
from mbcore.training.optimizers import make_optimizer  # noqa: E402
from mbcore.training.trainer import PACE_SECONDS, Trainer  # noqa: E402

THREADS_ENV = "MBCORE_TF_THREADS"
PACE_ENV = "MBCORE_PACE_SECONDS"    # pacing of a watched training's first reports (0: off)
TRIM_SECONDS = 2.0      # how often a worker hands freed memory back while training


def configure_tf(threads: int | None = None):
    """Quiet TensorFlow and pin its thread pools before it starts.

    One thread is the default: these models are too small to gain from
    splitting an op, and two workers then share the two cores cleanly.
    The inter-op pool gets at least two threads, which the trainer's
    single-threaded executor needs (see trainer._executor).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    n = int(threads or os.environ.get(THREADS_ENV, 1))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(max(n, 2))
    except RuntimeError:  # the runtime already started; keep its settings
        pass


def keras_file(exp: Experiment, trainer) -> bytes:
    """The trained model as a `.keras` file (bytes), for students to take home.

    The same file `model.fit` then `model.save` would give: a fresh model of the
    same settings gets the trained weights, is compiled like the exported script,
    and its optimizer takes the trainer's state (so training can go on at home
    and loading warns of nothing).  A fresh model, because compiling the cached
    trainer's own model would change the variables the trainer tracks.
    """
    import tempfile

    recipe = exp.recipe
    with _tf_caches_kept():
        model = build_model(exp.graph, recipe.seed, exp.id)
    model.set_weights(trainer.model.get_weights())
    optimizer = make_optimizer(recipe)
    model.compile(optimizer=optimizer, loss=recipe.losses, loss_weights=recipe.loss_weights,
                  metrics={k: list(v) for k, v in recipe.metrics.items()})
    optimizer.build(model.trainable_variables)
    for target, source in zip(optimizer.variables, trainer.optimizer.variables, strict=True):
        target.assign(source)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def _cache_key(exp: Experiment):
    """What forces a new trace: the architecture and the recipe, except the
    seed, the epochs, the loss weights and a constant learning rate (a decay
    schedule bakes its starting rate into the trace).  Data is swapped in
    place when its shapes match (checked separately)."""
    free = dict(seed=0, epochs=0, loss_weights={})
    if not exp.recipe.decay:
        free["learning_rate"] = 0.0
    return (exp.id, repr(exp.graph), repr(dataclasses.replace(exp.recipe, **free)))


def _reset_trainer(trainer, weights, data, recipe):
    """Give a cached trainer the fresh weights (arrays or variables, in the order
    of its model's), data and rate of a new job."""
    for target, source in zip(trainer.model.variables, weights, strict=True):
        target.assign(source)
    opt = trainer.optimizer
    lr_var = getattr(opt, "_learning_rate", None)
    for v in opt.variables:
        if v is lr_var:
            v.assign(recipe.learning_rate)
        else:
            v.assign(np.zeros(v.shape, v.dtype))
    for v in trainer.step.extra_variables():
        v.assign(np.zeros(v.shape, v.dtype.as_numpy_dtype))
    trainer.load_data(data)
    trainer.set_loss_weights(recipe.loss_weights or {})
    trainer.reset(seed=recipe.seed)


@contextlib.contextmanager
def _tf_caches_kept():
    """Build without tf.random.set_seed, which empties TensorFlow's function
    caches: every cached trainer would then re-optimize its graph (seconds
    per job).  Keras seeds weights and dropout from its own generators, which
    keras.utils.set_random_seed still resets, so results do not change.
    """
    import tensorflow as tf
    original = tf.random.set_seed
    tf.random.set_seed = lambda seed: None
    try:
        yield
    finally:
        tf.random.set_seed = original


class TrainerCache:
    """A few traced trainers, least recently used dropped first."""

    def __init__(self, size: int = TRACED_PER_WORKER):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self.hits = 0

    def get(self, exp: Experiment):
        """A trainer for this experiment, reset to a fresh start.

        A cached one takes the weights a new build would have, without the
        build where builder.initial_weights can tell them (a quarter of a
        second for the 42-layer net, before its first epoch)."""
        recipe, data = exp.recipe, exp.data
        key = _cache_key(exp) if self.size else None
        trainer = self._items.get(key) if key is not None else None
        if trainer is not None and trainer.data_fits(data):
            self._items.move_to_end(key)
            with _tf_caches_kept():
                weights = initial_weights(exp.graph, recipe.seed, trainer.model)
                if weights is None:
                    weights = build_model(exp.graph, recipe.seed, exp.id).variables
            _reset_trainer(trainer, weights, data, recipe)
            self.hits += 1
            return trainer
        with _tf_caches_kept():
            model = build_model(exp.graph, recipe.seed, exp.id)
        trainer = new_trainer(model, data, recipe)
        if key is not None:
            self._items[key] = trainer
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return trainer


def new_trainer(model, data, recipe):
    return Trainer(model, data, recipe, make_optimizer(recipe))


def _final_metrics(trainer, kind: str) -> dict:
    """Last validation metrics, plus the headline number the lesson kind uses."""
    final = trainer.final_metrics()
    if not final:
        return final
    wanted = "mse" if kind == "regression" else "accuracy"
    if f"val_{wanted}" not in final:
        per_output = [v for k, v in final.items() if k.endswith("_" + wanted)]
        if per_output:
            # total MSE sums the outputs; accuracy is the first (main) output's
            final[f"val_{wanted}"] = sum(per_output) if wanted == "mse" else per_output[0]
    return final


def train_experiment(exp: Experiment, epochs: int | None = None, *, on_progress=None,
                     should_stop=None, resume: bytes | None = None, cache=None,
                     on_trainer=None, pace: float = 0.0, hurry=None) -> Result:
    """Train an experiment's model and return the result as plain data.

    `resume` is the `state` of an earlier (stopped) result with the same
    settings; training then continues from its epoch.  `on_trainer` receives
    the trainer before training starts (a worker uses it to wire stop
    requests to `Trainer.request_stop`); `pace` spaces the first reports for a
    watching page, unless `hurry()` says others wait (Trainer.fit).
    """
    t0 = time.perf_counter()
    cache = cache or TrainerCache(0)
    hits = cache.hits
    trainer = cache.get(exp)
    if resume is not None:
        trainer.set_state(resume)
    target = int(epochs if epochs is not None else exp.recipe.epochs)
    setup = time.perf_counter() - t0
    if on_trainer is not None:
        on_trainer(trainer)
    status = trainer.fit(target, on_progress=on_progress, should_stop=should_stop, pace=pace,
                         hurry=hurry)
    return Result(
        status=Status(status), message=trainer.message, lesson=exp.id, kind=exp.lesson.kind,
        epoch=trainer.epoch, epochs=target, seconds=trainer.train_seconds,
        setup_seconds=setup, reused_trace=cache.hits > hits,
        callback_seconds=trainer.callback_seconds,
        history=trainer.history, final=_final_metrics(trainer, exp.lesson.kind),
        val_name=exp.data.val_name, predictions=trainer.predict(), state=trainer.get_state())


def run_train_job(job: TrainJob, emit, stop, worker_state: dict) -> Result:
    """Worker side of a TrainJob: resolve it once, train, stream progress Events.

    `stop` is a worker.StopSignal; it is wired to the trainer's in-graph stop
    flag so a cancel takes effect after the current epoch, not the chunk.
    A local worker offers `worker_state[LATE_FILES]`: the result then goes to
    the page as soon as training ends, and the .keras file (seconds to write
    for a deep net) follows it; elsewhere (Celery) the result waits for it.
    The first reports are paced (PACE_SECONDS, or $MBCORE_PACE_SECONDS) for the
    page that watches, while no training waits for a worker (worker_state[CROWDED]).
    """
    if "cache" not in worker_state:
        configure_tf()
        worker_state["cache"] = TrainerCache()
    exp = Experiment.of(job.settings)
    crowded = worker_state.get(CROWDED)
    live = Live(exp)       # gradients, weights, live predictions for the pages
    trimmed = [None]

    def progress(p):
        emit(Event(EventType.PROGRESS, epoch=p["epoch"], epochs=p["epochs"],
                   rows=tuple(p["rows"]), predictions=live.predictions()))
        # after the traced first call, now and then, and before the result is packed
        now = time.monotonic()
        if trimmed[0] is None or now - trimmed[0] > TRIM_SECONDS or p["epoch"] >= p["epochs"]:
            release_memory()
            trimmed[0] = time.monotonic()

    result = train_experiment(exp, job.epochs, on_progress=progress, should_stop=stop.is_set,
                              resume=job.resume, cache=worker_state["cache"],
                              on_trainer=lambda tr: (live.attach(tr),
                                                     stop.on_set(tr.request_stop)),
                              pace=0.0 if job.warm_up else
                              float(os.environ.get(PACE_ENV, PACE_SECONDS)),
                              hurry=crowded.is_set if crowded is not None else None)
    if job.warm_up:           # only the trace was wanted: send back no arrays, no file
        return dataclasses.replace(result, history={}, final={}, predictions={}, state=None)
    result.insights = live.finish()
    if result.status in (Status.DONE, Status.STOPPED) and result.epoch:
        finish_early = worker_state.get(LATE_FILES)
        if finish_early is not None:
            finish_early(dataclasses.replace(result, keras_pending=True))
        release_memory()
        try:
            result.keras = keras_file(exp, live.trainer)
        except Exception as err:    # the training stands; only its download is missing
            result.keras_error = f"{type(err).__name__}: {err}"
        release_memory()            # the export's fresh model, before the result is sent
    return result
