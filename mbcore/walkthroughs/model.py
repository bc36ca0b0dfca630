"""A walkthrough: the lecture's story as ordered steps, each naming a lesson, its
settings (a preset and/or overrides), what to show, the lecturer's notes, an
optional question for the class and an optional action.

A file is checked completely when it is read: every step's settings are built
with the same parsing as URLs and the command line (`from_strings`), so a typo
is found at the lecturer's desk, not in front of the class. Every error names
the step (counted from 1) and the field.

File format (TOML), one `[[steps]]` table per step:

    title = "Depth and skip connections"
    [[steps]]
    title = "The plain 12-layer net"
    lesson = "depth_residual"
    preset = "tutorial: plain 12 layers"        # optional; the lesson's defaults otherwise
    set = { epochs = 60 }                        # optional field overrides
    show = ["diagram", "training"]               # panels, see PANELS
    compare = { plain = { residual = false }, residual = {} }   # variants for "compare"
    notes = "Markdown for the lecturer only."
    action = "train"                             # optional: started when the step opens
    [steps.question]                             # optional
    kind = "choice"                              # or "number", or "sketch"
    text = "Which fits better?"
    options = ["plain", "residual"]
    measured = "loss"                            # optional: the validation curve revealed beside it
    range = [0.0, 1.0]                           # sketch only: its y axis (needs measured)
    [steps.explore]                              # optional: students train their own variant
    fields = ["blocks"]                          # the settings they may change
    measured = "loss"                            # the validation value they submit
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mbcore.lessons import Lesson, get_lesson
from mbcore.settings import Settings, SettingsError, field_names, from_strings, to_strings

# What a step can put on the screen, in the order the presenter view draws them.
PANELS = {
    "diagram": "the network's diagram",
    "summary": "parameter count and the layer table",
    "training": "Train button, live curves and final metrics",
    "compare": "the step's variants trained side by side (needs `compare`)",
}
ACTIONS = {"train": "training", "compare": "compare"}     # action -> the panel it needs
QUESTION_KINDS = ("choice", "number", "sketch")
# Where a sketch of the expected validation curve is drawn: shares of the training
# (0 = before the first epoch, 1 = the last), one control each on a phone.
SKETCH_AT = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
STEP_KEYS = {"title", "lesson", "preset", "set", "show", "compare", "notes", "question", "action",
             "explore"}
QUESTION_KEYS = {"kind", "text", "options", "measured", "unit", "range"}
FOLDER = Path(__file__).resolve().parents[2] / "walkthroughs"


class WalkthroughError(ValueError):
    """A walkthrough file cannot be used; the text names the step and the field."""

    def __init__(self, message: str, step: int | None = None, field: str = ""):
        where = (f"step {step}" if step else "file") + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")
        self.step, self.field = step, field


@dataclass(frozen=True)
class Question:
    id: str                   # unique within the walkthrough: answers are stored under it
    kind: str                 # "choice" or "number"
    text: str
    options: tuple = ()
    measured: str = ""        # validation curve ("loss", "accuracy") revealed beside the answers
    unit: str = ""
    range: tuple = ()         # a sketch's y axis (low, high)

    def as_dict(self) -> dict:
        shown = {"id": self.id, "kind": self.kind, "text": self.text,
                 "options": list(self.options), "unit": self.unit}
        if self.kind == "sketch":
            shown.update(range=list(self.range), at=list(SKETCH_AT), measured=self.measured)
        return shown


@dataclass(frozen=True)
class Explore:
    """Students train their own variant of the step, changing only `fields`, and
    submit the validation value `measured`; the projector plots one dot each."""
    fields: tuple
    measured: str

    def as_dict(self, step: "Step") -> dict:
        return {"id": f"step{step.number}", "lesson": step.lesson.id,
                "settings": to_strings(step.settings, everything=True),
                "fields": list(self.fields), "measured": self.measured}


@dataclass(frozen=True)
class Step:
    number: int               # from 1, as the lecturer counts
    title: str
    lesson: Lesson
    settings: Settings
    show: tuple
    notes: str = ""
    preset: str = ""
    compare: dict = field(default_factory=dict)     # variant name -> Settings
    question: Question | None = None
    action: str = ""
    explore: Explore | None = None


@dataclass(frozen=True)
class Walkthrough:
    name: str
    title: str
    steps: tuple
    description: str = ""
    source: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)   # as read, for the editor


def load(path: str | Path) -> Walkthrough:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WalkthroughError(f"cannot read {path}: {err}") from None
    return parse(text, name=path.stem)


def find(name: str) -> Path:
    """A shipped walkthrough by name (seed_002), refusing paths outside the folder."""
    if name not in shipped():
        raise WalkthroughError(f"no walkthrough named {name!r}: use one of "
                               f"{', '.join(shipped()) or '(none shipped)'}")
    return FOLDER / f"{name}.toml"


def shipped() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def parse(text: str, name: str = "uploaded") -> Walkthrough:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise WalkthroughError(f"not valid TOML: {err}") from None
    for key in ("title", "description", "source"):
        if not isinstance(data.get(key, ""), str):
            raise WalkthroughError("must be text", field=key)
    unknown = set(data) - {"title", "description", "source", "steps"}
    if unknown:
        raise WalkthroughError("unknown key; use title, description, source, steps",
                               field=sorted(unknown)[0])
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise WalkthroughError("a walkthrough needs at least one [[steps]] table", field="steps")
    steps = tuple(_step(i, raw) for i, raw in enumerate(raw_steps, 1))
    return Walkthrough(name=name, title=data.get("title") or name, steps=steps,
                       description=data.get("description", ""), source=data.get("source", ""),
                       raw=data)


def _step(number: int, raw) -> Step:
    def fail(message: str, where: str):
        raise WalkthroughError(message, number, where)

    if not isinstance(raw, dict):
        fail("a step must be a table", "steps")
    unknown = set(raw) - STEP_KEYS
    if unknown:
        fail(f"unknown key; use {', '.join(sorted(STEP_KEYS))}", sorted(unknown)[0])
    for key in ("title", "notes", "preset", "action", "lesson"):
        if not isinstance(raw.get(key, ""), str):
            fail("must be text", key)
    if "lesson" not in raw:
        fail("every step names a lesson", "lesson")
    try:
        lesson = get_lesson(raw["lesson"])
    except SettingsError as err:
        fail(str(err), "lesson")
    settings = _settings(lesson, raw.get("preset", ""), raw.get("set", {}), "set", fail)
    show = raw.get("show", ["diagram"])
    if not isinstance(show, list) or not show or not all(isinstance(p, str) for p in show):
        fail("a list of panels", "show")
    bad = [p for p in show if p not in PANELS]
    if bad:
        fail(f"unknown panel {bad[0]!r}: use {', '.join(PANELS)}", "show")
    compare = {}
    if "compare" in show or "compare" in raw:
        variants = raw.get("compare")
        if not isinstance(variants, dict) or len(variants) < 2:
            fail("at least two named variants, each a table of overrides", "compare")
        for key, changes in variants.items():
            compare[key] = _settings(lesson, "", changes, f"compare.{key}", fail, base=settings)
    action = raw.get("action", "")
    if action and action not in ACTIONS:
        fail(f"unknown action {action!r}: use {', '.join(ACTIONS)}", "action")
    if action and ACTIONS[action] not in show:
        fail(f"action {action!r} needs the panel {ACTIONS[action]!r} in show", "action")
    question = _question(number, raw["question"], fail) if "question" in raw else None
    explore = _explore(lesson, raw["explore"], fail) if "explore" in raw else None
    return Step(number=number, title=raw.get("title") or lesson.title, lesson=lesson,
                settings=settings, show=tuple(show), notes=raw.get("notes", ""),
                preset=raw.get("preset", ""), compare=compare, question=question,
                action=action, explore=explore)


def _explore(lesson: Lesson, raw, fail) -> Explore:
    if not isinstance(raw, dict) or set(raw) - {"fields", "measured"}:
        fail("a table with fields and measured", "explore")
    fields = raw.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        fail("a list of setting names", "explore.fields")
    unknown = [f for f in fields if f not in field_names(lesson.settings_cls)]
    if unknown:
        fail(f"unknown setting {unknown[0]!r} for lesson {lesson.id}", "explore.fields")
    measured = raw.get("measured")
    if not isinstance(measured, str) or not measured:
        fail("the validation curve students submit, e.g. loss or accuracy", "explore.measured")
    return Explore(fields=tuple(fields), measured=measured)


def _settings(lesson: Lesson, preset: str, changes, where: str, fail,
              base: Settings | None = None) -> Settings:
    if preset:
        try:
            base = lesson.preset(preset)
        except SettingsError as err:
            fail(str(err), "preset")
    if not isinstance(changes, dict):
        fail("a table of FIELD = value", where)
    text = {k: _as_text(v) for k, v in changes.items()}
    try:
        return from_strings(lesson.settings_cls, text, base=base)
    except SettingsError as err:
        bad = next((k for k in changes if f"{k!r}" in str(err) or f"{k}=" in str(err)), "")
        fail(str(err), f"{where}.{bad}" if bad else where)


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _question(number: int, raw, fail) -> Question:
    if not isinstance(raw, dict):
        fail("a table with kind and text", "question")
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        fail(f"unknown key; use {', '.join(sorted(QUESTION_KEYS))}",
             f"question.{sorted(unknown)[0]}")
    kind = raw.get("kind")
    if kind not in QUESTION_KINDS:
        fail(f"use one of {', '.join(QUESTION_KINDS)}", "question.kind")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        fail("the question's wording", "question.text")
    for key in ("measured", "unit"):
        if not isinstance(raw.get(key, ""), str):
            fail("must be text", f"question.{key}")
    options = raw.get("options", [])
    if kind == "choice":
        if (not isinstance(options, list) or len(options) < 2
                or not all(isinstance(o, str) and o for o in options)
                or len(set(options)) != len(options)):
            fail("a choice question needs two or more different options", "question.options")
    elif options:
        fail("only a choice question has options", "question.options")
    span = raw.get("range", [])
    if kind == "sketch":
        if not raw.get("measured"):
            fail("a sketch is drawn over a validation curve: name it, e.g. loss", "question.measured")
        if (not isinstance(span, list) or len(span) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in span)
                or not span[0] < span[1]):
            fail("a sketch needs its y axis as [low, high], low below high", "question.range")
    elif span:
        fail("only a sketch question has a range", "question.range")
    return Question(id=f"step{number}", kind=kind, text=text, options=tuple(options),
                    measured=raw.get("measured", ""), unit=raw.get("unit", ""),
                    range=tuple(float(v) for v in span))
