"""Speed evidence: plain Keras ``fit`` against the fast trainer.

Both run in this one process on the same model (same seed, so the same
initial weights), data, optimizer, batch size and epochs.  The times are
wall-clock and include tracing/compiling, as a user would feel them.
"""

from __future__ import annotations

import os
import pickle
import time

from mbcore.engine.protocol import Event, EventType
from mbcore.lessons import Experiment, get_lesson
from mbcore.training.bench_cases import CASES
from mbcore.network.builder import build_model
from mbcore.training.job import configure_tf, train_experiment
from mbcore.training.optimizers import make_optimizer

def _single(d: dict):
    """Keras fit wants a bare array, not a one-key dict, for a lone input/output."""
    return next(iter(d.values())) if len(d) == 1 else d


def plain_fit(exp: Experiment, epochs: int) -> dict:
    """Train with model.compile + model.fit exactly as the lesson would."""
    recipe, data = exp.recipe, exp.data
    t0, c0 = time.perf_counter(), time.process_time()
    model = build_model(exp.graph, recipe.seed, exp.id)
    single = len(recipe.losses) == 1
    model.compile(optimizer=make_optimizer(recipe),
                  loss=_single(recipe.losses) if single else recipe.losses,
                  loss_weights=None if single else recipe.loss_weights,
                  metrics=list(_single(recipe.metrics)) if single else
                  {k: list(v) for k, v in recipe.metrics.items()})
    hist = model.fit(_single(data.x_train), _single(data.y_train), batch_size=recipe.batch_size,
                     epochs=epochs, shuffle=True, verbose=0,
                     validation_data=(_single(data.x_val), _single(data.y_val))).history
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "loss": hist["loss"][-1],
            "val_loss": hist["val_loss"][-1]}


def fast_fit(exp: Experiment, epochs: int) -> dict:
    """Train the same model with the trainer (a fresh trace, no cache).

    Each progress report does what a worker's does, at most: take the live
    predictions and pickle the event for the queue to the page.
    """
    trainer = []

    def progress(p):
        pickle.dumps(Event(EventType.PROGRESS, epoch=p["epoch"], epochs=p["epochs"],
                           rows=tuple(p["rows"]), predictions=trainer[0].predict()))

    c0 = time.process_time()
    res = train_experiment(exp, epochs, on_progress=progress, on_trainer=trainer.append)
    return {"seconds": res.seconds + res.setup_seconds, "cpu": time.process_time() - c0,
            "loss": res.history["loss"][-1], "val_loss": res.history["val_loss"][-1],
            "callback_share": res.callback_seconds / max(res.seconds, 1e-9)}


def run_case(name: str, epoch_scale: float = 1.0) -> dict:
    lesson_id, changes, epochs = CASES[name]
    epochs = max(1, round(epochs * epoch_scale))
    settings = get_lesson(lesson_id).settings_cls(**changes)
    fit = plain_fit(Experiment.of(settings), epochs)
    fast = fast_fit(Experiment.of(settings), epochs)
    return {"case": name, "epochs": epochs, "fit_seconds": fit["seconds"],
            "trainer_seconds": fast["seconds"], "ratio": fast["seconds"] / fit["seconds"],
            "fit_cpu": fit["cpu"], "trainer_cpu": fast["cpu"], "cpu_ratio": fast["cpu"] / fit["cpu"],
            "load": os.getloadavg()[0],
            "fit_loss": fit["loss"], "trainer_loss": fast["loss"],
            "fit_val_loss": fit["val_loss"], "trainer_val_loss": fast["val_loss"],
            "callback_share": fast["callback_share"]}


def format_row(r: dict) -> str:
    return (f"{r['case']:26} {r['epochs']:4d} ep  fit {r['fit_seconds']:6.1f}s  "
            f"trainer {r['trainer_seconds']:5.1f}s  ratio {r['ratio']:.3f}  "
            f"(cpu {r['fit_cpu']:.1f}s / {r['trainer_cpu']:.1f}s = {r['cpu_ratio']:.3f})  "
            f"loss fit {r['fit_loss']:.4g} / trainer {r['trainer_loss']:.4g}  "
            f"val {r['fit_val_loss']:.4g} / {r['trainer_val_loss']:.4g}  "
            f"callbacks {100 * r['callback_share']:.2f}%  load {r['load']:.1f}")


def run(cases=None, epoch_scale: float = 1.0, report=None, threads=None) -> list[dict]:
    """Run the named cases (all by default); `report(row)` hears each result.

    TensorFlow's thread count is per process, so both contenders get the
    same one (by default the workers' setting).  Wall time suffers from
    other load on the machine; the CPU-time ratio much less so.
    """
    configure_tf(threads)
    rows = []
    for name in cases or CASES:
        row = run_case(name, epoch_scale)
        rows.append(row)
        if report:
            report(row)
    return rows
