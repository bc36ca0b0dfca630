"""A fast, live replacement for ``model.fit`` on small CPU models.

Why: Keras's ``fit`` spends almost all of a small model's time on per-step
framework overhead.  Here several whole epochs run inside one traced
``tf.function`` on TensorFlow's single-threaded executor (batches in a graph
while-loop, data held as variables, weights packed into a few blocks with
one fused optimizer kernel each), while keeping fit's semantics: same batch
size, a fresh shuffle each epoch, a last partial batch, dropout only in
training, validation after every epoch.  Each call is sized so the caller
hears about progress a few times per second.
"""

from __future__ import annotations

import contextlib
import io
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.eager import context  # noqa: E402

from mbcore.training import ops as train_ops  # noqa: E402
from mbcore.training.compiled import DIVERGED, OK, CompiledTraining  # noqa: E402

MAX_CHUNK = 64          # most epochs per compiled call (size of the row buffer)
# aim: hand back progress five times a second, so that a page redrawing at four a
# second (the target; a redraw may take two reports together) has news every time
REFRESH_SECONDS = 0.2
MIN_REPORTS = 10        # and at least this many reports per fit, so a short run is live
PACE_SECONDS = 0.2      # a watched fit spaces its first MIN_REPORTS reports this far apart

def _field(data, name):
    return data[name] if isinstance(data, dict) else getattr(data, name)


def _names(tensors):
    return [t.name.split(":")[0] for t in tensors]


def _executor():
    """TensorFlow's single-threaded executor for the training calls.

    Why: it runs a graph of many tiny ops with less bookkeeping than the
    default one: ~30% less time per step on depth_residual and on the plain
    net (same results).  Each control-flow op it runs waits for its body
    on an inter-op thread: with one thread the loops wait for ever, and a
    function called inside the loop needed a third, so the graph calls
    none and the inter-op pool must have two threads (configure_tf), or the
    default executor is kept.
    """
    threads = tf.config.threading.get_inter_op_parallelism_threads() or os.cpu_count() or 1
    if threads < 2:
        return contextlib.nullcontext()
    return context.function_executor_type("SINGLE_THREADED_EXECUTOR")


def _refuse_batch_mixing(model):
    """The padded last batch is exact only if samples do not see each other."""
    mixing = [layer.name for layer in model._flatten_layers()
              if type(layer).__name__ == "BatchNormalization"]
    if mixing:
        raise ValueError(f"the trainer cannot train batch-statistics layers: {mixing}")


class Trainer(CompiledTraining):
    """Trains one Keras model on dict data with a recipe's optimizer/losses.

    ``fit(total_epochs)`` may be called again after a stop to resume; the
    shuffle of epoch *e* depends only on (seed, e), so a stopped-and-resumed
    run follows the same curve as an uninterrupted one.
    """

    def __init__(self, model, data, recipe, optimizer, *, fused=True, pack=True,
                 refresh_seconds=REFRESH_SECONDS, max_chunk=MAX_CHUNK):
        self.model = model
        self.batch_size = int(recipe.batch_size)
        self.seed = int(recipe.seed)
        self.refresh_seconds = refresh_seconds
        self.max_chunk = max_chunk
        self.input_names = list(model.input_names) if hasattr(model, "input_names") \
            else _names(model.inputs)
        self.output_names = list(model.output_names)
        self._set_up_data(data)
        self._set_up_outputs(recipe)
        self.step = train_ops.OptimizerStep(optimizer, model.trainable_variables, fused, pack)
        self.optimizer = optimizer
        self.step_size = min(self.batch_size, self.n_train)
        self.n_batches = -(-self.n_train // self.step_size)
        _refuse_batch_mixing(model)
        # where training stands: epochs done, next batch of the open epoch and
        # that epoch's running sums, so a call may end (or stop) mid-epoch
        self._epoch_var = tf.Variable(0, trainable=False)
        self._batch_var = tf.Variable(0, trainable=False)
        self._acc = tf.Variable(tf.zeros([len(self.train_names)]), trainable=False)
        self._state_vars = [train_ops.tf_var(v) for v in model.non_trainable_variables]
        self._state_vars += self.step.state_variables()
        # the validation predictions of the last epoch end (see predict)
        self._val_preds = [tf.Variable(tf.zeros([self.n_val, *o.shape[1:]]), trainable=False)
                           for o in model.outputs]
        self._preds_ready = False
        self._state_vars += [self._epoch_var, self._batch_var, self._acc] + self._val_preds
        self._validate_fn = tf.function(self._validate, autograph=False)
        self._stop = tf.Variable(False, trainable=False)
        self._run = tf.function(self._chunk, autograph=False, reduce_retracing=True)
        self.reset(self.seed)

    # ------------------------------------------------------------ set up --
    def _set_up_data(self, data):
        ys = _field(data, "y_train")
        if len(self.output_names) == 1 and len(ys) == 1 and self.output_names[0] not in ys:
            self._y_keys = list(ys)  # a lone output may be keyed differently
        else:
            self._y_keys = self.output_names
        self._data_vars = {part: [tf.Variable(np.asarray(a), trainable=False)
                                  for a in self._arrays(data, part)]
                           for part in ("x_train", "y_train", "x_val", "y_val")}
        self.x_train, self.y_train = self._data_vars["x_train"], self._data_vars["y_train"]
        self.x_val, self.y_val = self._data_vars["x_val"], self._data_vars["y_val"]
        self.n_train = int(self.x_train[0].shape[0])
        self.n_val = int(self.x_val[0].shape[0])

    def _arrays(self, data, part):
        names = self.input_names if part.startswith("x") else self._y_keys
        return [np.asarray(_field(data, part)[k]) for k in names]

    def data_fits(self, data) -> bool:
        """Whether `data` has the shapes and types this trainer was traced for."""
        try:
            return all(a.shape == tuple(v.shape) and a.dtype == v.dtype.as_numpy_dtype
                       for part, vs in self._data_vars.items()
                       for a, v in zip(self._arrays(data, part), vs))
        except (KeyError, AttributeError):
            return False

    def load_data(self, data):
        """Swap in new arrays of the same shapes without retracing."""
        for part, vs in self._data_vars.items():
            for a, v in zip(self._arrays(data, part), vs):
                v.assign(a)

    def reset(self, seed):
        """Forget progress and start from the model's weights and the
        optimizer's state as they are now (set them before); new shuffle seed."""
        self.step.load()
        self.seed = int(seed)
        self.epoch = 0
        self.history = {n: [] for n in self.stat_names}
        self.train_seconds = self.callback_seconds = 0.0
        self.message = ""
        self._preds_ready = False  # the caller may have changed the weights
        self._epoch_var.assign(0)
        self._batch_var.assign(0)
        self._acc.assign(tf.zeros_like(self._acc))

    def _set_up_outputs(self, recipe):
        losses, weights = dict(recipe.losses), dict(recipe.loss_weights or {})
        metrics = dict(recipe.metrics or {})
        single = len(self.output_names) == 1
        self._outputs = []
        stats = ["loss"]
        for name, key in zip(self.output_names, self._y_keys):
            loss_name = losses.get(name, losses.get(key))
            if loss_name is None:
                raise ValueError(f"recipe has no loss for output {name!r}")
            width = int(self.model.get_layer(name).output.shape[-1]) \
                if name in [l.name for l in self.model.layers] else 1
            mets = [(m, train_ops.metric_fn(m, loss_name, width))
                    for m in metrics.get(name, metrics.get(key, ()))]
            self._outputs.append((train_ops.loss_fn(loss_name), mets))
            stats.append(f"{name}_loss")
            stats += [m if single else f"{name}_{m}" for m, _ in mets]
        self.train_names = stats
        self.stat_names = stats + ["val_" + s for s in stats]
        # a variable, so that moving a loss weight needs no new trace
        self._loss_weights = tf.Variable(tf.zeros([len(self._outputs)]), trainable=False)
        self.set_loss_weights(weights)

    def set_loss_weights(self, weights: dict):
        """Loss weight per output name (missing ones count 1)."""
        self._loss_weights.assign([float(weights.get(n, weights.get(k, 1.0)))
                                   for n, k in zip(self.output_names, self._y_keys)])

    def _read_state(self):
        """A snapshot of every variable a call changes (eager reads: a traced
        reader cost 1.2 s of setup for depth_residual's 257 variables)."""
        return [v.read_value() for v in self._state_vars]

    def _call(self, count, budget):
        with _executor():
            done, used, status, rows, bad = self._run(
                tf.constant(self.seed, tf.int64), tf.constant(count), tf.constant(budget),
                tf.constant(not self._preds_ready))
        self._preds_ready = True
        return int(done), int(used), int(status), rows.numpy(), float(bad)

    def _diverged(self, saved, done, preds_ready):
        """Put back the state from before the call and replay its good epochs.

        Replaying is exact (shuffles and dropout depend only on seed, epoch
        and restored state), and cheaper than snapshotting every epoch.
        """
        for v, value in zip(self._state_vars, saved):
            v.assign(value)
        self._preds_ready = preds_ready
        if not done:
            return np.zeros((0, len(self.stat_names)))
        again, _, status, rows, _ = self._call(done, 2 ** 30)
        if (again, status) != (done, OK):
            raise RuntimeError("replaying the epochs before a divergence went differently")
        return rows

    # ---------------------------------------------------------- driving --
    def request_stop(self):
        """Ask a running fit to stop after the current epoch (thread-safe)."""
        self._stop.assign(True)

    def fit(self, total_epochs, on_progress=None, should_stop=None, pace=0.0, hurry=None):
        """Train until `total_epochs` epochs are done; returns a status word.

        Status: "done", "stopped" (stop request; resumable) or "diverged"
        (non-finite loss; the weights of the last good epoch are kept).

        `pace` (seconds): the first MIN_REPORTS reports that bring new epochs
        are at least this far apart. Why: ten epochs of a small net take a
        tenth of a second, and a page that redraws a few times a second would
        show the finished curve only; paced, a watcher sees it grow, epoch by
        real epoch. The wait is outside the training loop (train_seconds
        leaves it out), and a stop request ends it at once, as does `hurry()`
        turning true (others wait for this worker: a class's queue must not wait
        for a show meant for one watcher).
        """
        self._stop.assign(False)
        self.message = ""
        def pace_ends():         # a stop, or others waiting for this worker
            return bool((should_stop is not None and should_stop()) or (hurry and hurry()))

        count, budget, calls = 1, 1, 0      # the first call traces: one batch only
        reports, last_report = 0, 0.0
        while self.epoch < total_epochs:
            if should_stop is not None and should_stop():
                return self._finish("stopped")
            count = min(count, total_epochs - self.epoch)
            saved, preds_ready = self._read_state(), self._preds_ready
            t0 = time.perf_counter()
            done, used, status, rows, bad = self._call(count, budget)
            if status == DIVERGED:
                rows = self._diverged(saved, done, preds_ready)
            spent = time.perf_counter() - t0
            self.train_seconds += spent
            if pace and done and reports < MIN_REPORTS and status == OK:
                reports += 1       # a stop ends the wait; the loop's test then ends the fit
                self._wait_until(last_report + pace, pace_ends)
                last_report = time.perf_counter()
            t1 = time.perf_counter()
            new = self._record(rows[:done])
            if status == DIVERGED:
                self.message = self._divergence_text(bad)
            if on_progress is not None:
                on_progress(self.progress(new, total_epochs))
            self.callback_seconds += time.perf_counter() - t1
            if status != OK:
                return self._finish("diverged" if status == DIVERGED else "stopped")
            calls += 1
            if calls > 1:
                most = max(1, total_epochs // MIN_REPORTS)
                count, budget = self._next_size(spent / max(used, 1), most)
            else:  # a traced call says nothing about speed: time a small one
                count, budget = 1, min(4, self.n_batches)
            if not self.epoch:   # the first point as soon as it exists, not a chunk later
                count, budget = 1, min(budget, self.n_batches - int(self._batch_var.numpy()))
        return self._finish("done")

    def _wait_until(self, moment, should_stop, step=0.01) -> bool:
        """Sleep until `moment` (perf_counter seconds); True if a stop came first."""
        while time.perf_counter() < moment:
            if should_stop is not None and should_stop():
                return True
            time.sleep(min(step, max(0.0, moment - time.perf_counter())))
        return False

    def _next_size(self, per_batch, most_epochs=MAX_CHUNK):
        """Epochs and batches for the next call to last about refresh_seconds,
        and to cover no more than `most_epochs` epochs (so that a ten-epoch
        training that takes a second still shows its curve grow)."""
        batches = max(1, int(self.refresh_seconds / max(per_batch, 1e-7)))
        if batches < self.n_batches:
            return 1, batches                 # slow epochs: report mid-epoch
        count = min(self.max_chunk, most_epochs, batches // self.n_batches)
        return count, count * self.n_batches

    def _finish(self, status):
        self.step.store()      # the Keras variables catch up with training
        self.status = status
        return status

    def _record(self, rows):
        new = []
        for row in rows:
            self.epoch += 1
            entry = {n: float(v) for n, v in zip(self.stat_names, row)}
            for n, v in entry.items():
                self.history[n].append(v)
            new.append(entry)
        return new

    def _divergence_text(self, bad):
        return (f"Training diverged in epoch {self.epoch + 1}: the loss became {bad}. "
                f"Kept the last weights with a finite loss ({self.epoch} epochs done); "
                f"try a smaller learning rate.")

    def progress(self, rows, total_epochs):
        """The payload handed to progress callbacks (plain Python data)."""
        last = rows[-1] if rows else {}
        return {"epoch": self.epoch, "epochs": int(total_epochs), "rows": rows,
                "epoch_fraction": int(self._batch_var.numpy()) / self.n_batches,
                "train": {k: v for k, v in last.items() if not k.startswith("val_")},
                "val": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
                "seconds": self.train_seconds, "message": self.message}

    # ------------------------------------------------------ results/state --
    def predict(self, xs=None):
        """Predictions per output name (validation inputs by default).

        The default ones are those of the weights at the last epoch end (or,
        before one, of the starting weights): the epoch's validation computes
        them anyway, so live plots can ask after every progress report at no
        cost, and they match the validation metrics reported.
        """
        if xs is None:
            if not self._preds_ready:
                with _executor():
                    self._validate_fn()
                self._preds_ready = True
            preds = self._val_preds
        else:
            preds = self._forward([tf.constant(np.asarray(xs[k])) for k in self.input_names],
                                  False, self._params()[1])[0]
        return {n: np.asarray(p) for n, p in zip(self.output_names, preds)}

    def final_metrics(self):
        """Validation metrics after the last completed epoch."""
        if not self.epoch:
            return {}
        return {k: v[-1] for k, v in self.history.items() if k.startswith("val_")}

    def get_state(self) -> bytes:
        """Everything needed to resume: variables, epoch count and history."""
        arrays = {f"v{i}": v.numpy() for i, v in enumerate(self._state_vars)}
        buf = io.BytesIO()
        np.savez(buf, epoch=self.epoch, names=np.array(self.stat_names),
                 hist=np.array([self.history[n] for n in self.stat_names], dtype=np.float64),
                 **arrays)
        return buf.getvalue()

    def set_state(self, blob: bytes):
        """Restore a state from get_state() of a trainer of the same model."""
        with np.load(io.BytesIO(blob)) as z:
            if list(z["names"]) != self.stat_names:
                raise ValueError("saved state belongs to a different model or recipe")
            for i, v in enumerate(self._state_vars):
                v.assign(z[f"v{i}"])
            self.step.store()
            self._preds_ready = False
            self.epoch = int(z["epoch"])
            self.history = {n: [float(x) for x in row] for n, row in zip(self.stat_names, z["hist"])}

