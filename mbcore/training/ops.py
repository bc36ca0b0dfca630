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


# Above this many weights, packing them copies more memory per call than
# the per-variable kernels it saves cost (aux_output's 5.2M stay unpacked).
PACK_LIMIT = 1_000_000


class Packed:
    """Many float32 variables stacked along their first axis, one block per
    trailing shape (all Dense(10) kernels in one [rows, 10] block, all
    biases in one vector): a working copy of them.

    Why: depth_residual has 84 small variables, so a fused update per block
    (3 of them) replaces 84 kernel launches per step, and cutting a block
    along its first axis gives each variable in its own shape with no
    reshape op.  ``load()`` fills the blocks from the variables and
    ``store()`` writes them back, eagerly (in the traced call they would
    add ~500 ops to trace).
    """

    def __init__(self, variables):
        self.variables = [tf_var(v) for v in variables]
        groups: dict = {}
        for i, v in enumerate(self.variables):
            groups.setdefault(tuple(v.shape[1:]), []).append(i)
        self.groups = list(groups.values())
        self._rows = [[self._rows_of(self.variables[i]) for i in g] for g in self.groups]
        self.blocks = [tf.Variable(tf.zeros([sum(rows), *trailing]), trainable=False)
                       for rows, trailing in zip(self._rows, groups)]

    @staticmethod
    def _rows_of(v):
        return v.shape[0] if v.shape.rank else 1

    def pack(self, values):
        """One tensor per block from values in the variables' order."""
        return [tf.concat([values[i] if self.variables[i].shape.rank
                           else tf.reshape(values[i], [1]) for i in g], 0)
                for g in self.groups]

    def load(self):
        for block, value in zip(self.blocks, self.pack(self.variables)):
            block.assign(value)

    def split(self, blocks):
        """The variables' values cut from the blocks, in the variables' order."""
        pieces = [None] * len(self.variables)
        for g, rows, block in zip(self.groups, self._rows, blocks):
            parts = tf.split(block, rows, axis=0) if len(g) > 1 else [block]
            for i, part in zip(g, parts):
                pieces[i] = part if self.variables[i].shape.rank else tf.reshape(part, [])
        return pieces

    def store(self):
        for v, p in zip(self.variables, self.split(self.blocks)):
            v.assign(p)


def _packable(variables) -> bool:
    return (bool(variables) and all(tf_var(v).dtype == tf.float32 for v in variables)
            and sum(v.shape.num_elements() for v in variables) <= PACK_LIMIT)


class OptimizerStep:
    """Applies one optimizer step inside a tf.function.

    Uses the fused kernels when the optimizer's configuration allows it and
    Keras's ``optimizer.apply`` otherwise; both update the same variables.
    With ``packed`` (small float32 models), the weights and slots live in a
    few blocks while training (the step takes the gradients of the weights'
    blocks); ``load()`` and ``store()`` sync them with the Keras variables,
    which the rest of the program reads.
    """

    def __init__(self, opt, variables, fused: bool = True, pack: bool = True):
        self.opt = opt
        self.variables = list(variables)
        opt.build(self.variables)
        self.kind = fused_kind(opt) if fused else None
        self._slots = []
        self.packed = None
        if self.kind is not None:
            self._prepare_slots()
            if pack and _packable(self.variables):
                self.packed = Packed(self.variables)
                self._packed_slots = [Packed(group) for group in zip(*self._slots)]

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

    def state_variables(self):
        """The variables that hold the weights and the optimizer's state
        while training: what a snapshot must save."""
        if self.packed is None:
            return [tf_var(v) for v in self.variables + list(self.opt.variables)] \
                + self.extra_variables()
        slots = {id(s) for group in self._slots for s in group}
        rest = [tf_var(v) for v in self.opt.variables if id(tf_var(v)) not in slots]
        return [b for p in self._copies() for b in p.blocks] + rest

    def _copies(self):
        return [] if self.packed is None else [self.packed] + self._packed_slots

    def load(self):
        """Take the Keras variables' values into the packed copies (eager)."""
        for p in self._copies():
            p.load()

    def store(self):
        """Write the packed copies back to the Keras variables (eager)."""
        for p in self._copies():
            p.store()

    def __call__(self, grads):
        """`grads`: one per packed block when packed, else one per variable."""
        if self.kind is None:
            pairs = [(g, v) for g, v in zip(grads, self.variables) if g is not None]
            self.opt.apply([g for g, _ in pairs], [v for _, v in pairs])
            return
        if self.packed is not None:
            targets = [(g, block, [p.blocks[i] for p in self._packed_slots])
                       for i, (g, block) in enumerate(zip(grads, self.packed.blocks))
                       if g is not None]
        else:
            targets = [(_dense(g), tf_var(v), slots)
                       for g, v, slots in zip(grads, self.variables, self._slots)
                       if g is not None]
        self._apply_fused(targets)
        self.opt.iterations.assign_add(1)

    def _apply_fused(self, targets):
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
        for g, v, slots in targets:
            h = v.handle
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
