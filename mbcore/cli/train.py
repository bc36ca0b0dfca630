"""The `train` and `bench` commands.

TensorFlow loads inside the handlers (mbcore.training is imported there, on
purpose): every other command, and `--help`, stays fast without it.
"""
from __future__ import annotations

import json
import sys

from mbcore.cli.common import command, experiment_from_args
from mbcore.engine.protocol import Status
from mbcore.settings import SettingsError
from mbcore.training.bench_cases import CASES


def train_setup(p):
    p.add_argument("--epochs", type=int, help="train this many epochs (default: the lesson's)")
    p.add_argument("--seed", type=int, help="random seed (data, weights, shuffling)")
    p.add_argument("--json", action="store_true",
                   help="print the result as JSON instead of progress lines")


def bench_setup(p):
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--case", action="append", choices=list(CASES),
                   help="run only this case; repeat for more")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every case's epochs (e.g. 0.1 for a quick look)")
    p.add_argument("--threads", type=int, help="TensorFlow threads for both (default 1)")


def _progress_line(p: dict) -> str:
    shown = {"loss": p["train"].get("loss"), "val_loss": p["val"].get("loss")}
    parts = [f"epoch {p['epoch']}/{p['epochs']}"]
    parts += [f"{k} {v:.4g}" for k, v in shown.items() if v is not None]
    parts.append(f"({p['seconds']:.1f}s)")
    return "  ".join(parts)


def cmd_train(args):
    exp = experiment_from_args(args)
    if args.epochs is not None and args.epochs < 1:
        raise SettingsError("--epochs must be at least 1")
    from mbcore.training.job import configure_tf, train_experiment   # TensorFlow: late
    configure_tf()

    def report(p):
        if p["rows"] and not args.json:
            print(_progress_line(p), file=sys.stderr, flush=True)

    try:
        result = train_experiment(exp, args.epochs, on_progress=report)
    except ValueError as err:  # e.g. a recipe the trainer cannot run
        raise SettingsError(str(err)) from None
    if result.message:
        print(result.message, file=sys.stderr)
    if args.json:
        print(json.dumps(result.public()))
    else:
        finals = "  ".join(f"{k} {v:.4g}" for k, v in result.final.items())
        print(f"{result.status} after {result.epoch} epochs in "
              f"{result.seconds:.1f}s  {finals}")
    return 1 if result.status == Status.DIVERGED else 0


def cmd_bench(args):
    if args.scale <= 0:
        raise SettingsError("--scale must be positive")
    from mbcore.training.bench import format_row, run   # TensorFlow: late
    report = None if args.json else (lambda row: print(format_row(row), flush=True))
    rows = run(args.case, args.scale, report, args.threads)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


command("train", "train a lesson's model (progress on stderr)", cmd_train, setup=train_setup)
command("bench", "time plain Keras fit against the fast trainer", cmd_bench,
        setup=bench_setup, lesson=False)
