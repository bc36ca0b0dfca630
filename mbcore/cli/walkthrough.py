"""`python -m mbcore walkthrough check FILE`: validate a lecture walkthrough before class.

Exit 0 and a one-line summary when every step can be shown; exit 2 and one
line naming the step and the field otherwise (the rule of every command).
"""
from __future__ import annotations

import sys

from mbcore.cli.common import EXIT_BAD_INPUT, command
from mbcore.walkthroughs import WalkthroughError, find, load, shipped


def _setup(p):
    p.add_argument("action", choices=["check", "list"],
                   help="check: validate FILE; list: the shipped walkthroughs")
    p.add_argument("file", nargs="?", help="a walkthrough .toml file, or a shipped name")


def _run(args) -> int:
    if args.action == "list":
        for name in shipped():
            walk = load(find(name))
            print(f"{name}  {len(walk.steps):2d} steps  {walk.title}")
        return 0
    if not args.file:
        print("error: walkthrough check needs FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        walk = load(find(args.file) if args.file in shipped() else args.file)
    except WalkthroughError as err:
        print(f"error: {args.file}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    asked = sum(1 for s in walk.steps if s.question)
    print(f"ok: {walk.title!r}: {len(walk.steps)} steps, {asked} questions")
    return 0


command("walkthrough", "check a lecture walkthrough file (or list the shipped ones)", _run,
        setup=_setup, lesson=False)
