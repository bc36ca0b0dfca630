"""`python -m mbcore`: the lessons from the command line, for lecturers and for checks.

Every command reads the same registries as the pages. Bad input ends with
exit code 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import sys

from mbcore.cli import model, tools, train, walkthrough  # noqa: F401  (each registers its commands)
from mbcore.cli.common import COMMANDS, EXIT_BAD_INPUT, Parser, fields_help, with_settings
from mbcore.settings import SettingsError


def make_parser():
    parser = Parser(prog="python -m mbcore", description=__doc__.splitlines()[0],
                    epilog=fields_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, (help_text, handler, setup, lesson) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=fields_help(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if lesson:
            with_settings(p)
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
