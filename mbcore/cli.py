"""`python -m mbcore`: the lessons from the command line, for lecturers and for checks.

Every command reads the same registries as the pages. Bad input ends with
exit code 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys

from mbcore import train_cli
from mbcore.settings import SettingsError, from_strings, parse_assignments, specs

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message):
        raise SettingsError(message)


def settings_from_args(args):
    """The lesson's settings from LESSON and --set FIELD=VALUE (plus --epochs/--seed)."""
    from mbcore.lessons import get_lesson
    lesson = get_lesson(args.lesson)
    pairs = parse_assignments(args.set or [])
    for name in ("epochs", "seed"):
        if getattr(args, name, None) is not None:
            pairs[name] = str(getattr(args, name))
    return lesson, from_strings(lesson.settings_cls, pairs)


def _fields_help() -> str:
    from mbcore.lessons import ALL_LESSONS
    out = ["settings per lesson (--set FIELD=VALUE):"]
    for lesson in ALL_LESSONS.values():
        out.append(f"  {lesson.id}:")
        out += [f"    {s.name}={s.to_text(s.default)}  ({s.allowed()}) {s.label}"
                for s in specs(lesson.settings_cls)]
    return "\n".join(out)


def cmd_lessons(args):
    from mbcore.lessons import LESSONS
    if args.json:
        print(json.dumps([{"id": l.id, "title": l.title, "seed": l.seed_doc}
                          for l in LESSONS.values()], indent=2))
    else:
        for lesson in LESSONS.values():
            print(f"{lesson.id:16} {lesson.title}")


def cmd_summary(args):
    from mbcore.builder import architecture
    from mbcore.summary import summary_dict, summary_text
    lesson, settings = settings_from_args(args)
    graph = architecture(settings)
    if args.json:
        print(json.dumps({"lesson": lesson.id, **summary_dict(graph)}, indent=2))
    else:
        print(summary_text(graph, title=f'Model: "{lesson.id}"'))


def cmd_dot(args):
    from mbcore.builder import architecture
    from mbcore.diagram import to_dot
    lesson, settings = settings_from_args(args)
    print(to_dot(architecture(settings), title=lesson.id))


def cmd_code(args):
    from mbcore.export import script
    _, settings = settings_from_args(args)
    print(script(settings, epochs=args.epochs))


def cmd_tool(script: str, options: tuple, flags: tuple = ()):
    """Development tools that drive Streamlit pages live under tests/ (mbcore
    itself never imports Streamlit); these commands run them."""
    def run(args):
        import subprocess
        from pathlib import Path
        path = Path(__file__).resolve().parents[1] / "tests" / script
        argv = [f"--{o}={getattr(args, o)}" for o in options]
        argv += [f"--{f}" for f in (*flags, "json") if getattr(args, f)]
        return subprocess.call([sys.executable, str(path), *argv])
    return run


def _tool_options(flags: dict | None = None, **ints):
    """Whole-number options with defaults, on/off `flags` (name -> help), and --json."""
    def setup(p):
        for name, default in ints.items():
            p.add_argument(f"--{name}", type=int, default=default)
        for name, help_text in (flags or {}).items():
            p.add_argument(f"--{name}", action="store_true", help=help_text)
        p.add_argument("--json", action="store_true")
    return setup


def _with_settings(p):
    p.add_argument("lesson", help="lesson id (see `python -m mbcore lessons`)")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="change one setting; repeat for more")
    return p


# name -> (help, handler, extra-arguments hook). Other modules add commands here.
COMMANDS: dict = {}


def command(name, help, handler, setup=None, lesson=True):
    COMMANDS[name] = (help, handler, setup, lesson)


command("lessons", "list the lessons", cmd_lessons, lesson=False,
        setup=lambda p: p.add_argument("--json", action="store_true"))
command("summary", "the model summary of a lesson", cmd_summary,
        setup=lambda p: p.add_argument("--json", action="store_true"))
command("dot", "the architecture as Graphviz DOT text", cmd_dot)
command("loadtest", "K sessions of a page press Train at once (tests/loadtest.py)",
        cmd_tool("loadtest.py", ("sessions", "distinct")), lesson=False,
        setup=_tool_options(sessions=20, distinct=1))
command("membench", "server and worker memory over many trainings (tests/membench.py)",
        cmd_tool("membench.py", ("trainings",), ("biggest",)), lesson=False,
        setup=_tool_options({"biggest": "train each lesson's biggest allowed settings once "
                                        "instead, and report each worker's peak"},
                            trainings=50))
command("code", "a runnable Keras 3 script for the lesson", cmd_code,
        setup=lambda p: p.add_argument("--epochs", type=int, help="override the epochs"))
command("train", "train a lesson's model (progress on stderr)", train_cli.cmd_train,
        setup=train_cli.train_setup)
command("bench", "time plain Keras fit against the fast trainer", train_cli.cmd_bench,
        setup=train_cli.bench_setup, lesson=False)


def make_parser():
    parser = _Parser(prog="python -m mbcore", description=__doc__.splitlines()[0],
                     epilog=_fields_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_text, handler, setup, lesson) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=_fields_help(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if lesson:
            _with_settings(p)
        if setup:
            setup(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv=None) -> int:
    try:
        args = make_parser().parse_args(argv)
        return args.handler(args) or 0
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:          # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
