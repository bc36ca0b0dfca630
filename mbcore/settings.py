"""Lesson settings as plain, hashable data.

A lesson's settings are a frozen dataclass. Each field carries its own label,
help text and allowed range in its metadata, so that one declaration drives the
widgets, the URL, the command line and the validation (the idea of TensorFlow
Playground's state table, without its controller).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping


class SettingsError(ValueError):
    """A setting the user asked for cannot be honoured; the text says why."""


# Which part of the lesson a field changes: the architecture redraws the
# summary and the diagram at once, data and training only matter when training.
MODEL, DATA, TRAINING = "model", "data", "training"


def option(default: Any, label: str, *, help: str = "", choices: tuple | None = None,
           lo: float | None = None, hi: float | None = None, step: float | None = None,
           group: str = MODEL, log: bool = False):
    """Declare one setting: its default, how it is shown and what it allows."""
    meta = dict(label=label, help=help, choices=choices, lo=lo, hi=hi, step=step,
                group=group, log=log)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Spec:
    """Everything known about one field, read from the dataclass metadata."""
    name: str
    type: type
    default: Any
    label: str
    help: str
    choices: tuple | None
    lo: float | None
    hi: float | None
    step: float | None
    group: str
    log: bool

    def allowed(self) -> str:
        """Human-readable statement of what the field accepts."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        kind = "a whole number" if self.type is int else "a number"
        return f"{kind} from {_fmt(self.lo)} to {_fmt(self.hi)}"

    def parse(self, text: str) -> Any:
        """Turn text from a URL or the command line into a checked value."""
        raw = str(text).strip()
        try:
            if self.type is bool:
                low = raw.lower()
                if low in ("true", "1", "yes", "on"):
                    value: Any = True
                elif low in ("false", "0", "no", "off"):
                    value = False
                else:
                    raise ValueError
            elif self.type is int:
                value = int(float(raw)) if float(raw).is_integer() else _bad()
            elif self.type is float:
                value = float(raw)
            else:
                value = raw
        except (ValueError, OverflowError):
            raise SettingsError(f"{self.name}={text!r} is not allowed: use {self.allowed()}") from None
        self.check(value)
        return value

    def check(self, value: Any) -> None:
        """Raise SettingsError unless value is of the right type and range."""
        ok = isinstance(value, self.type) and not (self.type is int and isinstance(value, bool))
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if ok and self.choices is not None:
            ok = value in self.choices
        if ok and self.type in (int, float):
            ok = math.isfinite(value) and (self.lo is None or value >= self.lo) \
                and (self.hi is None or value <= self.hi)
        if not ok:
            raise SettingsError(f"{self.name}={value!r} is not allowed: use {self.allowed()}")

    def to_text(self, value: Any) -> str:
        """The inverse of parse, used for URLs and generated commands."""
        if self.type is bool:
            return "true" if value else "false"
        return _exact(value) if self.type is float else str(value)


def _bad():
    raise ValueError


def _exact(x: float) -> str:
    """Short text for a float that still parses back to the very same float
    (0.0007, 12, 1e-05; never 0.1 for 0.10000000000000002)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Settings:
    """Base of every lesson's settings: validation on construction."""
    lesson_id: ClassVar[str] = ""

    def __post_init__(self):
        for spec in specs(type(self)):
            spec.check(getattr(self, spec.name))
        self.check()

    def check(self) -> None:
        """Hook for rules that tie several fields together."""

    def replace(self, **changes) -> "Settings":
        unknown = set(changes) - set(field_names(type(self)))
        if unknown:
            raise unknown_field_error(type(self), sorted(unknown)[0])
        return dataclasses.replace(self, **changes)

    def changed(self) -> dict[str, Any]:
        """The fields that differ from the defaults (what a URL needs to carry)."""
        base = type(self)()
        return {n: getattr(self, n) for n in field_names(type(self))
                if getattr(self, n) != getattr(base, n)}


def specs(cls: type) -> tuple[Spec, ...]:
    """The declarative table of a settings class, in declaration order."""
    return _SPEC_CACHE.get(cls) or _SPEC_CACHE.setdefault(cls, tuple(
        Spec(name=f.name, type=type(f.default), **f.metadata, default=f.default)
        for f in dataclasses.fields(cls)))


_SPEC_CACHE: dict[type, tuple[Spec, ...]] = {}


def spec_of(cls: type, name: str) -> Spec:
    for spec in specs(cls):
        if spec.name == name:
            return spec
    raise unknown_field_error(cls, name)


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(s.name for s in specs(cls))


def unknown_field_error(cls: type, name: str) -> SettingsError:
    return SettingsError(f"unknown setting {name!r} for lesson {cls.lesson_id}: "
                         f"use one of {', '.join(field_names(cls))}")


def from_strings(cls: type, pairs: Mapping[str, str], base: Settings | None = None) -> Settings:
    """Settings from text pairs (URL query, --set FIELD=VALUE); strict."""
    values = {}
    for name, text in pairs.items():
        values[name] = spec_of(cls, name).parse(text)
    return (base or cls()).replace(**values)


def from_strings_lenient(cls: type, pairs: Mapping[str, str]) -> tuple[Settings, list[str]]:
    """Like from_strings, but a bad value falls back to its default with a warning.

    Used for links: a link someone mangled still opens the lesson.
    """
    good, warnings = {}, []
    for name, text in pairs.items():
        try:
            good[name] = spec_of(cls, name).parse(text)
        except SettingsError as err:
            warnings.append(str(err) + " (using the default)")
    try:
        return cls(**good), warnings
    except SettingsError as err:  # fields valid alone but not together
        return cls(), warnings + [str(err) + " (using the lesson's defaults)"]


def to_strings(settings: Settings, everything: bool = False) -> dict[str, str]:
    """Text pairs for a URL or a command line: by default only what changed."""
    values = dataclasses.asdict(settings) if everything else settings.changed()
    return {n: spec_of(type(settings), n).to_text(v) for n, v in values.items()}


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Split FIELD=VALUE strings from the command line."""
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SettingsError(f"--set {item!r} is not FIELD=VALUE")
        pairs[name.strip()] = value.strip()
    return pairs
