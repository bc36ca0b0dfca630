"""The `claims` command: train every claim of a lesson over seeds and report its verdict.

Each side of a claim trains through the same trainer as the pages
(`train_experiment`); the verdict is computed by mbcore.lessons.claims from
the histories alone. The rows are merged into claims_measured.json, the file
the pages read. TensorFlow loads inside the handler.
"""
from __future__ import annotations

import json
import sys
import time

from mbcore.cli.common import command
from mbcore.lessons import ALL_LESSONS, Experiment, get_lesson
from mbcore.lessons.claims import MEASURED_FILE, save_measured, settings_for, status_line, verdict
from mbcore.settings import SettingsError


def claims_setup(p):
    p.add_argument("lesson", nargs="?", help="only this lesson's claims (default: all)")
    p.add_argument("--seeds", type=int, default=5,
                   help="seeds per claim: the lesson's seed and the next ones (default 5)")
    p.add_argument("--epochs-scale", type=float, default=1.0,
                   help="multiply every run's epochs (a quick check; the file then says so)")
    p.add_argument("--claim", action="append", metavar="ID",
                   help="only this claim of LESSON (repeat for more)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--no-save", action="store_true",
                   help=f"do not write {MEASURED_FILE.name}")


def cmd_claims(args):
    lessons = [get_lesson(args.lesson)] if args.lesson else [
        lesson for lesson in ALL_LESSONS.values() if lesson.claims]
    if args.seeds < 1:
        raise SettingsError("--seeds must be at least 1")
    if args.epochs_scale <= 0:
        raise SettingsError("--epochs-scale must be positive")
    if args.lesson and not lessons[0].claims:
        raise SettingsError(f"lesson {args.lesson!r} declares no claims")
    if args.claim:
        if not args.lesson:
            raise SettingsError("--claim needs a LESSON")
        known = [c.id for c in lessons[0].claims]
        unknown = sorted(set(args.claim) - set(known))
        if unknown:
            raise SettingsError(f"unknown claim(s) {', '.join(unknown)} for {args.lesson}: "
                                f"use {', '.join(known)}")
    from mbcore.training.job import TrainerCache, configure_tf, train_experiment  # TensorFlow
    configure_tf()
    cache, rows, t0 = TrainerCache(), [], time.perf_counter()
    for lesson in lessons:
        for claim in lesson.claims:
            if args.claim and claim.id not in args.claim:
                continue
            histories = []
            for i in range(args.seeds):
                runs, trained = [], {}
                for side in claim.sides():
                    base = lesson.settings_cls(**side.changes).seed
                    s = settings_for(lesson, side, base + i, args.epochs_scale)
                    if s not in trained:      # two metrics of one run train it once
                        trained[s] = train_experiment(Experiment.of(s), cache=cache).history
                    runs.append(trained[s])
                histories.append((runs[0], runs[1] if len(runs) > 1 else None))
            row = verdict(lesson.id, claim, histories)
            row["epochs_scale"] = args.epochs_scale
            rows.append(row)
            if not args.json:
                print(f"{lesson.id:15} {claim.id:24} {status_line(row)}", flush=True)
    if args.no_save or args.epochs_scale != 1:
        print(f"not written to {MEASURED_FILE.name} (--no-save or --epochs-scale)",
              file=sys.stderr)
    else:
        save_measured(rows, {"seeds": args.seeds, "epochs_scale": args.epochs_scale,
                             "seconds": round(time.perf_counter() - t0, 1)})
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


command("claims", "check every claim a lesson's page makes, over seeds", cmd_claims,
        setup=claims_setup, lesson=False)
