"""The graph side of the Trainer: one traced call trains whole epochs (or,
when epochs are slow, part of one) and validates at each epoch end.

Why a graph loop: per-step Python and framework overhead is what makes
``fit`` slow for small models, so batches loop inside the graph, shapes stay
static for the optimizer, and the call returns only small per-epoch rows.
A mixin of Trainer, which provides the model, data variables, optimizer
step, loss weights, position variables and stop flag it uses.
"""

from __future__ import annotations

import math

import tensorflow as tf

from mbcore.training import ops as train_ops

OK, STOPPED, DIVERGED = 0, 1, 2
# A validation chunk holds at most this many values of the model's widest
# layer output: 256 rows for most lessons (few loop turns), fewer for
# aux_output's 100x512 embedding, where 256 rows took ~130 MB more memory
# than its training batch of 64.
VAL_CHUNK_VALUES = 2 ** 22


class CompiledTraining:
    def _forward(self, xs, training, weights=None):
        """(outputs in output_names order, the model's extra losses).

        With `weights` (tensors for the trainable variables, cut from the
        packed copy) the model runs on those instead of its variables.
        """
        feed = xs[0] if len(xs) == 1 else dict(zip(self.input_names, xs))
        if weights is None:
            out, extra = self.model(feed, training=training), self.model.losses
        else:
            state = [v.value for v in self.model.non_trainable_variables]
            out, new_state, extra = self.model.stateless_call(
                weights, state, feed, training=training, return_losses=True)
            for v, old, new in zip(self.model.non_trainable_variables, state, new_state):
                if new is not old:      # e.g. dropout's seed generator moved on
                    v.assign(new)
        if isinstance(out, dict):
            out = [out[n] for n in self.output_names]
        return (list(out) if isinstance(out, (list, tuple)) else [out]), extra

    def _params(self, tape=None):
        """(what the gradient is taken of, weights for _forward)."""
        packed = self.step.packed
        if packed is None:
            return self.step.variables, None
        blocks = [b.read_value() for b in packed.blocks]
        if tape is not None:
            tape.watch(blocks)
        return blocks, packed.split(blocks)

    def _stats(self, ys, preds, extra, sample_weights=None):
        """Total loss first, then per output its loss and metrics."""
        total, row = 0.0, []
        for i, ((lfn, mets), y, p) in enumerate(zip(self._outputs, ys, preds)):
            loss = train_ops.batch_mean(lfn, y, p, sample_weights)
            total += self._loss_weights[i] * loss
            row.append(loss)
            # a metric that is the loss itself (mse on an mse output) is not redone
            row += [loss if f is lfn else train_ops.batch_mean(f, y, p, sample_weights)
                    for _, f in mets]
        if extra:
            total += tf.add_n([tf.cast(x, tf.float32) for x in extra])
        return total, tf.stack([total] + row)

    def _batches(self, n, size, body, width):
        """Sum body(lo, k) * k over the batches [lo, lo + k) that cover [0, n).

        Full batches run in a graph loop with a static size k, so shapes stay
        known to the graph optimizer; a last partial batch gets its own call.
        """
        full, rest = divmod(n, size)

        def step(i, acc):
            return i + 1, acc + body(i * size, size) * float(size)

        acc = tf.zeros([width])
        if full:
            _, acc = tf.while_loop(lambda i, _: i < full, step, (tf.constant(0), acc))
        if rest:
            acc += body(full * size, rest) * float(rest)
        return acc / n

    def _train_step(self, perm, batch):
        """One optimizer step on batch number `batch`; returns its sums.

        Every batch has the same static size, so the step is traced once: a
        last partial batch is padded with wrapped-around samples of weight 0,
        which leaves its mean loss, gradients and metrics exactly those of
        the real samples (no layer the builder makes mixes samples).
        """
        size, n = self.step_size, self.n_train
        lo = batch * size
        real = tf.minimum(size, n - lo)
        idx = tf.gather(perm, (lo + tf.range(size)) % n)
        sample_weights = tf.cast(tf.range(size) < real, tf.float32)
        xs = [tf.gather(x, idx) for x in self.x_train]
        ys = [tf.gather(y, idx) for y in self.y_train]
        with tf.GradientTape() as tape:
            source, weights = self._params(tape)
            total, row = self._stats(ys, *self._forward(xs, True, weights), sample_weights)
        self.step(tape.gradient(total, source))
        return row * tf.cast(real, tf.float32)

    def _train_batches(self, perm, first, end):
        """Train batches [first, end) of an epoch; returns (sums, next batch).

        Ends early on a stop request or a non-finite loss.
        """
        def more(i, acc):
            return (i < end) & tf.logical_not(self._stop) & tf.math.is_finite(acc[0])

        i, acc = tf.while_loop(more, lambda i, acc: (i + 1, acc + self._train_step(perm, i)),
                               (first, tf.zeros([len(self.train_names)])))
        return acc, i

    def _validate(self):
        """Validation stats of the current weights; their predictions go to
        the `_val_preds` variables on the way (live plots need no pass of
        their own: for aux_output one costs as much as three batches)."""
        widest = max(math.prod(d or 1 for d in layer.output.shape[1:])
                     for layer in self.model.layers)
        size = max(self.batch_size, min(256, VAL_CHUNK_VALUES // max(widest, 1)))

        def rows(t, lo, k):
            return tf.slice(t, [lo] + [0] * (t.shape.rank - 1), [k] + [-1] * (t.shape.rank - 1))

        def body(lo, k):
            xs = [rows(x, lo, k) for x in self.x_val]
            ys = [rows(y, lo, k) for y in self.y_val]
            preds, extra = self._forward(xs, False, self._params()[1])
            kept = [v[lo:lo + k].assign(tf.cast(p, v.dtype)) for v, p in zip(self._val_preds, preds)]
            with tf.control_dependencies(kept):
                return tf.identity(self._stats(ys, preds, extra)[1])
        return self._batches(self.n_val, size, body, len(self.train_names))

    def _chunk(self, seed, count, budget, initial):
        """Train until `count` more epochs end or `budget` batches ran, or a
        stop request or a non-finite loss.  Returns (epochs ended, batches
        run, status, rows of the ended epochs, the bad loss).  With
        `initial`, first validate the starting weights for their predictions."""
        nb = self.n_batches

        def cond(done, used, status, rows, bad):
            return ((done < count) & (used < budget) & tf.equal(status, OK)
                    & tf.logical_not(self._stop))

        def body(done, used, status, rows, bad):
            epoch, first = self._epoch_var.read_value(), self._batch_var.read_value()
            key = tf.stack([seed, tf.cast(epoch, tf.int64)])
            perm = tf.argsort(tf.random.stateless_uniform([self.n_train], seed=key))
            sums, reached = self._train_batches(perm, first, tf.minimum(nb, first + budget - used))
            acc = self._acc.read_value() + sums
            finite = tf.math.is_finite(acc[0])

            def close():
                train = acc / self.n_train
                val = self._validate()
                ok = tf.math.is_finite(val[0])
                with tf.control_dependencies([self._epoch_var.assign_add(1),
                                              self._batch_var.assign(0),
                                              self._acc.assign(tf.zeros_like(acc))]):
                    row = tf.concat([train, val], 0)
                    return tf.tensor_scatter_nd_update(rows, [[done]], [row]), ok, val[0]

            def keep_open():
                with tf.control_dependencies([self._batch_var.assign(reached),
                                              self._acc.assign(acc)]):
                    return tf.identity(rows), finite, acc[0]

            rows, ok, bad = tf.cond(tf.equal(reached, nb) & finite, close, keep_open)
            ended = tf.cast(tf.equal(reached, nb) & finite & ok, tf.int32)
            return done + ended, used + reached - first, tf.where(ok, OK, DIVERGED), rows, bad

        rows = tf.zeros([self.max_chunk + 1, len(self.stat_names)])
        start = tf.cond(initial, lambda: self._validate()[0], lambda: tf.constant(0.0))
        with tf.control_dependencies([start]):
            done, used, status, rows, bad = tf.while_loop(
                cond, body, (tf.constant(0), tf.constant(0), tf.constant(OK), rows,
                             tf.constant(0.0)))
        status = tf.where(tf.equal(status, OK) & self._stop, STOPPED, status)
        return done, used, status, rows, bad
