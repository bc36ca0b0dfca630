"""What every command shares: the command table, reading LESSON and --set into an
Experiment, and the rule that bad input is one line on stderr with exit code 2."""
from __future__ import annotations

import argparse

from mbcore.lessons import ALL_LESSONS, Experiment, get_lesson
from mbcore.settings import SettingsError, from_strings, parse_assignments, specs

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message):
        raise SettingsError(message)


# name -> (help, handler, extra-arguments hook, takes LESSON and --set). Each command
# module adds its own with `command(...)`; main.py builds the parser from this table.
COMMANDS: dict = {}


def command(name, help, handler, setup=None, lesson=True):
    COMMANDS[name] = (help, handler, setup, lesson)


def experiment_from_args(args) -> Experiment:
    """The lesson resolved for LESSON and --set FIELD=VALUE (plus --epochs/--seed)."""
    lesson = get_lesson(args.lesson)
    pairs = parse_assignments(args.set or [])
    for name in ("epochs", "seed"):
        if getattr(args, name, None) is not None:
            pairs[name] = str(getattr(args, name))
    return Experiment.of(from_strings(lesson.settings_cls, pairs))


def fields_help() -> str:
    out = ["settings per lesson (--set FIELD=VALUE):"]
    for lesson in ALL_LESSONS.values():
        out.append(f"  {lesson.id}:")
        out += [f"    {s.name}={s.to_text(s.default)}  ({s.allowed()}) {s.label}"
                for s in specs(lesson.settings_cls)]
    return "\n".join(out)


def with_settings(p):
    p.add_argument("lesson", help="lesson id (see `python -m mbcore lessons`)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="change one setting; repeat for more")
    return p


def json_flag(p):
    p.add_argument("--json", action="store_true")
