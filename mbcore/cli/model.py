"""Commands that read a lesson without training it: lessons, summary, dot, code."""
from __future__ import annotations

import json

from mbcore.cli.common import command, experiment_from_args, json_flag
from mbcore.lessons import LESSONS
from mbcore.network.diagram import to_dot
from mbcore.network.summary import summary_dict, summary_text
from mbcore.views.export import script


def cmd_lessons(args):
    if args.json:
        print(json.dumps([{"id": l.id, "title": l.title, "source": l.source}
                          for l in LESSONS.values()], indent=2))
    else:
        for lesson in LESSONS.values():
            print(f"{lesson.id:16} {lesson.title}")


def cmd_summary(args):
    exp = experiment_from_args(args)
    if args.json:
        print(json.dumps({"lesson": exp.id, **summary_dict(exp.graph)}, indent=2))
    else:
        print(summary_text(exp.graph, title=f'Model: "{exp.id}"'))


def cmd_dot(args):
    exp = experiment_from_args(args)
    print(to_dot(exp.graph, title=exp.id))


def cmd_code(args):
    print(script(experiment_from_args(args), epochs=args.epochs))


command("lessons", "list the lessons", cmd_lessons, lesson=False, setup=json_flag)
command("summary", "the model summary of a lesson", cmd_summary, setup=json_flag)
command("dot", "the architecture as Graphviz DOT text", cmd_dot)
command("code", "a runnable Keras 3 script for the lesson", cmd_code,
        setup=lambda p: p.add_argument("--epochs", type=int, help="override the epochs"))
