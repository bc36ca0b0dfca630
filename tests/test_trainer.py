"""The fast trainer keeps fit's semantics: determinism, stop/resume,
divergence handling, per-output losses, dropout only in training, and every
lesson learns on a small budget.  No timings here (see `mbcore bench`)."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from mbcore.training.job import configure_tf

configure_tf()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mbcore.cli import main as cli  # noqa: E402
from mbcore.lessons import ALL_LESSONS, get_lesson  # noqa: E402
from mbcore.training.ops import OptimizerStep  # noqa: E402
from mbcore.training.trainer import Trainer  # noqa: E402
from mbcore.training.job import TrainerCache, new_trainer, train_experiment  # noqa: E402
from mbcore.training.optimizers import make_optimizer  # noqa: E402
from mbcore.lessons import Experiment  # noqa: E402
from cases import CASES, MULTI  # noqa: E402
from mbcore.network.builder import build_model as build_graph  # noqa: E402


# Settings-level shorthands: each resolves the lesson once, as a page or worker does.
def train_settings(settings, *args, **kwargs):
    return train_experiment(Experiment.of(settings), *args, **kwargs)


def recipe_for(settings):
    return Experiment.of(settings).recipe


def make_data(settings):
    return Experiment.of(settings).data


def build_model(settings):
    exp = Experiment.of(settings)
    return build_graph(exp.graph, exp.recipe.seed, exp.id)


def small(lesson_id, **changes):
    return get_lesson(lesson_id).settings_cls(**changes)


MLP = dict(n_train=300, n_test=60, dropout=0.5)


def test_same_settings_and_seed_give_the_same_curve():
    a = train_settings(small("multi_io", **MULTI), 4).history
    b = train_settings(small("multi_io", **MULTI), 4).history
    c = train_settings(small("multi_io", seed=8, **MULTI), 4).history
    assert a == b
    assert a["loss"] != c["loss"]


def test_a_reused_trace_gives_the_same_curve_as_a_fresh_one():
    cache = TrainerCache()
    MLP = dict(globals()["MLP"], decay=0.0)  # a decay schedule would be part of the trace
    first = train_settings(small("mlp_shapes", **MLP), 3, cache=cache).history
    other = train_settings(small("mlp_shapes", seed=5, learning_rate=0.05, **MLP), 3,
                           cache=cache).history
    again = train_settings(small("mlp_shapes", **MLP), 3, cache=cache).history
    fresh = train_settings(small("mlp_shapes", seed=5, learning_rate=0.05, **MLP), 3).history
    assert cache.hits == 2
    assert again == first
    assert other == fresh
    # loss weights and the data's own settings need no new trace either
    weighted = dict(MULTI, sin_weight=3.0, exp_weight=0.2, same_input=True)
    train_settings(small("multi_io", **MULTI), 2, cache=cache)
    reused = train_settings(small("multi_io", **weighted), 2, cache=cache).history
    assert cache.hits == 3
    assert reused == train_settings(small("multi_io", **weighted), 2).history


def fresh_trainer(settings):
    return new_trainer(build_model(settings), make_data(settings), recipe_for(settings))


def test_stop_mid_epoch_then_resume_follows_the_uninterrupted_curve():
    settings = small("mlp_shapes", **MLP)      # dropout: its RNG state must resume too
    straight = fresh_trainer(settings)
    assert straight.fit(5) == "done"
    first = fresh_trainer(settings)
    first.refresh_seconds = 0.0                # one batch per call: stop lands mid-epoch
    fractions = []

    def progress(p):
        fractions.append(p["epoch_fraction"])
        if p["epoch"] == 2 and p["epoch_fraction"] > 0:
            first.request_stop()
    assert first.fit(5, on_progress=progress) == "stopped"
    assert first.epoch == 2 and 0 < fractions[-1] < 1
    second = fresh_trainer(settings)
    second.set_state(first.get_state())
    assert second.fit(5) == "done"
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(second.history[key], straight.history[key], rtol=1e-6)


def test_a_stopped_job_result_can_be_resumed():
    settings = small("multi_io", **MULTI)
    stopped = train_settings(settings, 50, should_stop=lambda: True)
    assert stopped.status == "stopped" and stopped.epoch == 0
    resumed = train_settings(settings, 3, resume=stopped.state)
    assert resumed.status == "done" and len(resumed.history["loss"]) == 3


def test_divergence_stops_at_once_and_keeps_the_last_good_weights():
    # w*x against 2x with SGD: each step overshoots, the loss grows ~1e6x per
    # epoch and overflows after a few finite epochs
    ones = np.ones((100, 1), "float32")
    trainer = linear_trainer(ones, 2 * ones, 10, keras.optimizers.SGD(1.5))
    model = trainer.model
    assert trainer.fit(100) == "diverged"
    assert 2 <= trainer.epoch < 20
    assert "diverged" in trainer.message and "learning rate" in trainer.message
    assert np.isfinite(trainer.history["loss"]).all()
    w = float(model.get_weights()[0][0, 0])
    assert np.isfinite(w)
    assert (w - 2.0) ** 2 == pytest.approx(trainer.history["val_loss"][-1], rel=1e-5)


def linear_trainer(x, y, batch_size, optimizer, seed=0):
    inp = keras.Input((1,), name="x")
    model = keras.Model(inp, keras.layers.Dense(1, use_bias=False, name="y",
                                                kernel_initializer="zeros")(inp))
    data = {"x_train": {"x": x}, "y_train": {"y": y}, "x_val": {"x": x}, "y_val": {"y": y}}
    recipe = SimpleNamespace(batch_size=batch_size, seed=seed, losses={"y": "mse"},
                             loss_weights={}, metrics={})
    return Trainer(model, data, recipe, optimizer)


def test_batches_follow_fit_semantics_including_the_last_partial_one():
    # 10 samples in batches of 4: 4 + 4 + 2, reshuffled every epoch; plain SGD
    x = np.linspace(0.1, 1.0, 10, dtype="float32")[:, None]
    y = 3.0 * x + np.sin(7 * x)
    trainer = linear_trainer(x, y, 4, keras.optimizers.SGD(0.5), seed=11)
    assert trainer.fit(2) == "done"
    w, sizes = 0.0, []
    for epoch in range(2):
        perm = tf.argsort(tf.random.stateless_uniform([10], seed=[11, epoch])).numpy()
        for lo in range(0, 10, 4):
            idx = perm[lo:lo + 4]
            sizes.append(len(idx))
            w -= 0.5 * float(np.mean(2 * (w * x[idx, 0] - y[idx, 0]) * x[idx, 0]))
    assert sizes == [4, 4, 2, 4, 4, 2]
    assert float(trainer.model.get_weights()[0][0, 0]) == pytest.approx(w, rel=1e-5)
    assert trainer.history["val_loss"][-1] == pytest.approx(
        float(np.mean((w * x - y) ** 2)), rel=1e-5)


@pytest.mark.parametrize("fused", [False, True])
def test_given_the_same_batches_the_trainer_computes_what_keras_does(fused):
    # Keras's own train_on_batch fed the trainer's shuffles and batches; with
    # Keras's optimizer the numbers agree exactly, and the fused kernels
    # round differently only (Adam on a deep net then drifts, so 2 epochs)
    settings = small("depth_residual", blocks=3, n_train=100, n_val=40, batch_size=32,
                     learning_rate=0.001)     # several batches an epoch, the tutorial's step
    recipe, data = recipe_for(settings), make_data(settings)
    x, y = data.x_train["x_input"], data.y_train["y_output"]
    model = build_model(settings)
    model.compile(optimizer=make_optimizer(recipe), loss="mse")
    keras_val = []
    for epoch in range(2):
        perm = tf.argsort(tf.random.stateless_uniform([len(x)], seed=[settings.seed, epoch]))
        for lo in range(0, len(x), settings.batch_size):
            idx = perm.numpy()[lo:lo + settings.batch_size]
            model.train_on_batch(x[idx], y[idx])
        keras_val.append(model.evaluate(data.x_val["x_input"], data.y_val["y_output"], verbose=0))
    trainer = Trainer(build_model(settings), data, recipe, make_optimizer(recipe), fused=fused)
    assert trainer.fit(2) == "done"
    np.testing.assert_allclose(trainer.history["val_loss"], keras_val, rtol=1e-4 if fused else 1e-5)


def test_a_lesson_that_diverges_in_its_first_epoch_keeps_finite_weights():
    settings = small("multi_io", learning_rate=10.0, **MULTI)
    trainers = []
    result = train_settings(settings, 20, on_trainer=trainers.append)
    assert result.status == "diverged" and result.epoch == 0
    assert result.history["loss"] == []
    assert all(np.isfinite(w).all() for w in trainers[0].model.get_weights())
    assert all(np.isfinite(p).all() for p in result.predictions.values())


def test_each_output_has_its_own_history_and_the_total_is_weighted():
    settings = small("multi_io", sin_weight=2.0, exp_weight=0.5, **MULTI)
    hist = train_settings(settings, 3).history
    for prefix in ("", "val_"):
        total = np.array(hist[prefix + "loss"])
        sin, exp = np.array(hist[prefix + "sin_output_loss"]), np.array(hist[prefix + "exp_output_loss"])
        assert len(total) == 3
        np.testing.assert_allclose(total, 2.0 * sin + 0.5 * exp, rtol=1e-5)
        assert not np.allclose(sin, exp)


def test_dropout_is_off_when_evaluating_and_on_when_training():
    settings = small("mlp_shapes", **MLP)
    trainers = []
    result = train_settings(settings, 3, on_trainer=trainers.append)
    data = make_data(settings)
    probs = np.array(result.predictions["class_output"])
    y = data.y_val["class_output"]
    ce = float(np.mean(-np.sum(y * np.log(np.clip(probs, 1e-7, 1.0)), axis=1)))
    acc = float(np.mean(probs.argmax(1) == y.argmax(1)))
    assert ce == pytest.approx(result.history["val_loss"][-1], rel=1e-4)
    assert acc == pytest.approx(result.final["val_accuracy"], abs=1e-6)
    # the same weights with dropout active give a clearly different output
    model = build_model(settings)
    model.set_weights(trainers[0].model.get_weights())
    noisy = model([data.x_val["features"]], training=True).numpy()
    assert np.abs(noisy - probs).max() > 1e-3


@pytest.mark.parametrize("lesson_id,changes", [("multi_io", MULTI), ("mlp_shapes", MLP)])
def test_packed_weights_train_like_the_model_variables(lesson_id, changes):
    # packed: the weights and slots live in a few blocks while training (and
    # dropout's seed state goes through the stateless call); after fit the
    # Keras variables hold what plain per-variable training gives
    settings = small(lesson_id, **changes)
    runs = []
    for pack in (True, False):
        model, recipe = build_model(settings), recipe_for(settings)
        trainer = Trainer(model, make_data(settings), recipe, make_optimizer(recipe), pack=pack)
        assert (trainer.step.packed is not None) == pack
        assert trainer.fit(3) == "done"
        runs.append((trainer.history, model.get_weights(),
                     [v.numpy() for v in trainer.optimizer.variables]))
    (hist_a, weights_a, opt_a), (hist_b, weights_b, opt_b) = runs
    for key in hist_a:
        np.testing.assert_allclose(hist_a[key], hist_b[key], rtol=1e-5, atol=1e-7)
    for a, b in zip(weights_a + opt_a, weights_b + opt_b, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.RMSprop(0.01),
    lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
    lambda: keras.optimizers.SGD(0.1),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.SGD(keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 0.5),
                                 momentum=0.9),
], ids=["adam", "rmsprop", "rmsprop-momentum", "sgd", "sgd-nesterov", "sgd-schedule"])
def test_fused_updates_match_keras(make):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
    grads = [[rng.normal(size=w.shape).astype("float32") for w in start] for _ in range(4)]
    results = []
    for fused, pack in ((False, False), (True, False), (True, True)):
        variables = [keras.Variable(w) for w in start]
        step = OptimizerStep(make(), variables, fused=fused, pack=pack)
        assert (step.kind is not None) == fused and (step.packed is not None) == pack
        step.load()                    # packed: as the trainer works, between syncs
        run = tf.function(step)
        for g in grads:
            g = [tf.constant(x) for x in g]
            run(step.packed.pack(g) if pack else g)
        step.store()
        results.append([v.numpy() for v in variables])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# Small budgets under which every lesson's training loss must clearly fall.
BUDGETS = {lid: c.learns for lid, c in CASES.items()}


def test_every_lesson_has_a_budget():
    assert set(BUDGETS) == set(ALL_LESSONS)


@pytest.mark.parametrize("lesson_id", sorted(BUDGETS))
def test_each_lesson_learns_on_a_small_budget(lesson_id):
    changes, epochs, factor = BUDGETS[lesson_id]
    result = train_settings(small(lesson_id, **changes), epochs)
    loss = result.history["loss"]
    assert result.status == "done" and len(loss) == epochs
    assert loss[-1] < factor * loss[0], loss
    headline = "val_mse" if result.kind == "regression" else "val_accuracy"
    assert headline in result.final


def test_progress_reports_every_epoch_once_with_per_output_values():
    seen = []
    train_settings(small("multi_io", **MULTI), 7, on_progress=seen.append)
    epochs = [row for p in seen for row in p["rows"]]
    assert [p["epoch"] for p in seen][-1] == 7 and len(epochs) == 7
    assert {"loss", "sin_output_loss", "exp_output_mse", "val_exp_output_loss"} <= set(epochs[0])
    assert set(seen[-1]["val"]) >= {"loss", "sin_output_loss"}


def test_trainer_rejects_a_metric_it_cannot_reproduce():
    settings = small("multi_io", **MULTI)
    recipe = recipe_for(settings)
    bad = type(recipe)(**{**recipe.__dict__, "metrics": {"sin_output": ("auc",)}})
    with pytest.raises(ValueError, match="auc"):
        new_trainer(build_model(settings), make_data(settings), bad)


def test_cli_train_json(capsys):
    code = cli.main(["train", "multi_io", "--epochs", "2", "--set", "n_train=100", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["seconds"] > 0 and len(out["history"]["loss"]) == 2
    assert "val_mse" in out["final"] and "val_sin_output_mse" in out["final"]


def test_cli_train_bad_input_is_one_line_and_exit_2(capsys):
    assert cli.main(["train", "multi_io", "--set", "epochs=abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_worker_measures_only_the_insights_its_lesson_shows():
    from mbcore.lessons.lesson import INSIGHTS
    from mbcore.engine.protocol import TrainJob
    from mbcore.training.job import run_train_job
    from mbcore.engine.worker import StopSignal
    for lesson in ALL_LESSONS.values():
        assert set(lesson.insights) <= set(INSIGHTS), lesson.id

    def insights(lesson_id, **changes):
        job = TrainJob(small(lesson_id, **changes), epochs=2)
        return run_train_job(job, lambda event: None, StopSignal(), {}).insights

    deep = insights("depth_residual", blocks=2, n_train=64, n_val=16)
    assert set(deep) == {"gradients_start", "gradients"}
    kernels = [layer.name for layer in build_model(small("depth_residual", blocks=2)).layers
               if getattr(layer, "kernel", None) is not None]
    assert list(deep["gradients_start"]) == kernels == list(deep["gradients"])
    assert all(v > 0 for v in deep["gradients_start"].values())
    assert deep["gradients"] != deep["gradients_start"]
    shapes = insights("mlp_shapes", **MLP)
    assert set(shapes) == {"weights"} and all(w.ndim == 2 for w in shapes["weights"].values())
    assert insights("multi_io", **MULTI) == {}      # its page shows neither: nothing measured


def test_a_short_training_reports_its_progress_several_times():
    """Ten quick epochs still arrive in several reports, so the curve visibly grows."""
    reports = []
    train_settings(small("multi_io", **MULTI), 20, on_progress=lambda p: reports.append(p))
    grew = [p["epoch"] for p in reports if p["rows"]]
    assert len(grew) >= 8 and grew[-1] == 20


def test_a_watched_short_training_spaces_its_reports_and_a_stop_ends_the_wait():
    """Paced (as a worker trains for a page), ten quick epochs come in at least
    MIN_REPORTS reports each at least `pace` after the one before (the page then
    sees them one by one), and a stop cuts the wait short."""
    from mbcore.training.trainer import MIN_REPORTS
    import time as clock
    times, rows, cache = [], [], TrainerCache()

    def seen(p):
        if p["rows"]:
            times.append(clock.perf_counter())
            rows.extend(p["rows"])
    train_settings(small("multi_io", **MULTI), MIN_REPORTS, on_progress=seen, pace=0.05,
                   cache=cache)
    assert len(rows) == MIN_REPORTS and len(times) == MIN_REPORTS
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.045
    asked = []
    stopped = train_settings(small("multi_io", **MULTI), MIN_REPORTS, pace=30.0,
                             on_progress=lambda p: p["rows"] and asked.append(p["epoch"]),
                             should_stop=lambda: len(asked) >= 1, cache=cache)
    assert stopped.status == "stopped" and 1 <= stopped.epoch < MIN_REPORTS


def test_a_worker_job_hands_over_its_result_before_writing_the_model_file():
    """Where the worker offers it (LATE_FILES), the result goes out as soon as the
    training ends, marked as waiting for its .keras file; the file comes with the
    job's return value. So a Stop is not held up by the export."""
    from mbcore.engine.protocol import LATE_FILES, TrainJob
    from mbcore.engine.worker import StopSignal
    from mbcore.training.job import run_train_job
    early = []
    result = run_train_job(TrainJob(small("multi_io", **MULTI), epochs=2), lambda ev: None,
                           StopSignal(), {LATE_FILES: early.append})
    assert len(early) == 1 and early[0].keras_pending and early[0].keras is None
    assert early[0].status == "done" and early[0].epoch == 2 and early[0].state
    assert isinstance(result.keras, bytes) and not result.keras_pending


def test_the_first_point_is_reported_as_soon_as_the_first_epoch_ends():
    """Calls are sized to last a fifth of a second, many quick epochs each; the
    first epoch must not wait for such a chunk, so a page that just pressed
    Train draws its first point one epoch in."""
    firsts = []

    def seen(p):
        if p["rows"] and not firsts:
            firsts.append(p["epoch"])
    result = train_settings(small("multi_io", **MULTI), 40, on_progress=seen)
    assert result.epoch == 40 and firsts == [1]


def test_a_training_others_wait_for_skips_its_pacing():
    """Pacing spaces a watched training's first reports for its one watcher; while
    others wait for the worker (`hurry`), it holds the worker idle, so it ends."""
    import time as clock
    start = clock.perf_counter()
    done = train_settings(small("multi_io", **MULTI), 10, pace=30.0, hurry=lambda: True)
    assert done.status == "done" and done.epoch == 10
    assert clock.perf_counter() - start < 20, "ten reports paced 30 s apart would take minutes"
