"""Graph-side pieces of the fast trainer: per-output losses, metrics and
fused optimizer updates.

Why fused updates: on this CPU a small model's training step is dominated by
per-op overhead, and Keras's generic optimizer issues about ten small ops per
variable (and takes seconds to trace).  TensorFlow's fused ``ResourceApply*``
kernels do the same arithmetic in one op per variable, on the optimizer's own
slot variables, so the Keras optimizer object stays the single source of
state (it can still be saved, restored or used by ``fit``).
"""

from __future__ import annotations

import keras
import tensorflow as tf


# ---------------------------------------------------------------- metrics ---

def _accuracy_kind(loss_name: str, output_width: int) -> str:
    """Resolve Keras's ambiguous "accuracy" the way compile() does."""
    name = loss_name.lower()
    if "sparse" in name:
        return "sparse"
    if "binary" in name or output_width == 1:
        return "binary"
    return "categorical"


def metric_fn(name: str, loss_name: str, output_width: int):
    """Return f(y_true, y_pred) -> per-sample values for a metric name."""
    key = name.lower()
    if key in ("accuracy", "acc"):
        kind = _accuracy_kind(loss_name, output_width)
        if kind == "binary":
            return lambda y, p: tf.reduce_mean(
                tf.cast(tf.equal(tf.cast(p > 0.5, y.dtype), y), tf.float32), -1)
        if kind == "sparse":
            return lambda y, p: tf.cast(tf.equal(
                tf.reshape(tf.cast(y, tf.int64), [-1]),
                tf.argmax(p, -1)), tf.float32)
        return lambda y, p: tf.cast(
            tf.equal(tf.argmax(y, -1), tf.argmax(p, -1)), tf.float32)
    metric = keras.metrics.get(name)
    # Mean-type metrics wrap a per-sample function; averaging it per batch
    # and weighting by batch size reproduces what fit reports.
    fn = getattr(metric, "_fn", None)
    if not isinstance(metric, keras.metrics.MeanMetricWrapper) or fn is None:
        raise ValueError(f"metric {name!r} is not supported by the trainer")
    kwargs = dict(getattr(metric, "_fn_kwargs", {}) or {})
    return (lambda y, p: fn(y, p, **kwargs)) if kwargs else fn


def loss_fn(name: str):
    """Return f(y_true, y_pred) -> per-sample loss for a Keras loss name."""
    fn = keras.losses.get(name)
    if fn is None:
        raise ValueError(f"unknown loss {name!r}")
    return fn


def batch_mean(fn, y_true, y_pred, weights=None):
    """Mean of a per-sample function over the batch (weighted: over the
    samples of weight 1, for a padded batch), as a float32 scalar."""
    y_true = tf.cast(y_true, y_pred.dtype) if y_true.dtype.is_floating else y_true
    values = tf.cast(fn(y_true, y_pred), tf.float32)
    if values.shape.rank and values.shape.rank > 1:
        values = tf.reduce_mean(values, axis=list(range(1, values.shape.rank)))
    if weights is None:
        return tf.reduce_mean(values)
    return tf.reduce_sum(values * weights) / tf.reduce_sum(weights)


# -------------------------------------------------------------- optimizer ---

def _unsupported_options(opt) -> list[str]:
    """Options the fused path does not reproduce; any of them means fallback."""
    found = [k for k in ("weight_decay", "clipnorm", "clipvalue",
                         "global_clipnorm", "loss_scale_factor")
             if getattr(opt, k, None)]
    if getattr(opt, "use_ema", False):
        found.append("use_ema")
    if getattr(opt, "gradient_accumulation_steps", None):
        found.append("gradient_accumulation_steps")
    if getattr(opt, "amsgrad", False):
        found.append("amsgrad")
    if getattr(opt, "centered", False):
        found.append("centered")
    return found


def fused_kind(opt) -> str | None:
    """Which fused update applies to this optimizer, or None for Keras's own."""
    if _unsupported_options(opt):
        return None
    return {keras.optimizers.Adam: "adam",
            keras.optimizers.RMSprop: "rmsprop",
            keras.optimizers.SGD: "sgd"}.get(type(opt))


def tf_var(v):
    """The tf.Variable behind a Keras variable."""
    return v.value if isinstance(v, keras.Variable) else v


def _dense(g):
    return tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g


class OptimizerStep:
    """Applies one optimizer step inside a tf.function.

    Uses the fused kernels when the optimizer's configuration allows it and
    Keras's ``optimizer.apply`` otherwise; both update the same variables.
    """

    def __init__(self, opt, variables, fused: bool = True):
        self.opt = opt
        self.variables = list(variables)
        opt.build(self.variables)
        self.kind = fused_kind(opt) if fused else None
        self._slots = []
        if self.kind is not None:
            self._prepare_slots()

    def _prepare_slots(self):
        opt = self.opt
        for v in self.variables:
            i = opt._get_variable_index(v)
            if self.kind == "adam":
                slots = (opt._momentums[i], opt._velocities[i])
            elif self.kind == "rmsprop":
                mom = opt._momentums[i] if opt.momentum > 0 else None
                # The fused RMSProp kernel always wants a momentum slot.
                if mom is None:
                    mom = tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                slots = (opt._velocities[i], mom)
            else:
                slots = (opt.momentums[i],) if opt.momentum != 0 else ()
            self._slots.append(tuple(tf_var(s) for s in slots))

    def extra_variables(self):
        """Slot variables owned here rather than by the Keras optimizer."""
        own = []
        if self.kind == "rmsprop" and not self.opt.momentum > 0:
            own = [s[1] for s in self._slots]
        return own

    def __call__(self, grads):
        if self.kind is None:
            pairs = [(g, v) for g, v in zip(grads, self.variables) if g is not None]
            self.opt.apply([g for g, _ in pairs], [v for _, v in pairs])
            return
        opt = self.opt
        lr = tf.cast(opt.learning_rate, tf.float32)
        step = tf.cast(opt.iterations + 1, tf.float32)
        if self.kind == "adam":
            b1 = tf.constant(opt.beta_1, tf.float32)
            b2 = tf.constant(opt.beta_2, tf.float32)
            b1p, b2p = tf.pow(b1, step), tf.pow(b2, step)
            eps = tf.constant(opt.epsilon, tf.float32)
        elif self.kind == "rmsprop":
            rho = tf.constant(opt.rho, tf.float32)
            mom = tf.constant(opt.momentum, tf.float32)
            eps = tf.constant(opt.epsilon, tf.float32)
        else:
            mom = tf.constant(opt.momentum, tf.float32)
        for g, v, slots in zip(grads, self.variables, self._slots):
            if g is None:
                continue
            g = _dense(g)
            h = tf_var(v).handle
            if self.kind == "adam":
                tf.raw_ops.ResourceApplyAdam(
                    var=h, m=slots[0].handle, v=slots[1].handle,
                    beta1_power=b1p, beta2_power=b2p, lr=lr, beta1=b1,
                    beta2=b2, epsilon=eps, grad=g)
            elif self.kind == "rmsprop":
                tf.raw_ops.ResourceApplyRMSProp(
                    var=h, ms=slots[0].handle, mom=slots[1].handle, lr=lr,
                    rho=rho, momentum=mom, epsilon=eps, grad=g)
            elif slots:
                tf.raw_ops.ResourceApplyKerasMomentum(
                    var=h, accum=slots[0].handle, lr=lr, grad=g,
                    momentum=mom, use_nesterov=bool(opt.nesterov))
            else:
                tf.raw_ops.ResourceApplyGradientDescent(var=h, alpha=lr, delta=g)
        opt.iterations.assign_add(1)
