"""Links: every setting in the URL, presets by name, presenter mode, hidden controls.

The codec of a page's address, with no Streamlit in it: `read_link` checks a
query string with the core's lenient parser (a bad value becomes the default
with one warning that names it) and expands `?preset=`; `to_query` writes the
canonical form back. ui/links.py applies it on the page.

URL conventions (also in the README):
  FIELD=VALUE      any setting of the lesson, as on the command line (--set);
                   defaults are left out
  preset=NAME      start from a named preset; FIELD=VALUE pairs override it
  presenter=true   presenter mode (bigger type and charts, lesson text folded)
  hide=FIELD       hide that control (repeat, or separate names by commas);
                   its value still counts
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode

from mbcore.lessons import Lesson
from mbcore.settings import (Settings, SettingsError, field_names, from_strings_lenient,
                             option, to_strings, unknown_field_error)


@dataclass(frozen=True)
class View(Settings):
    """How a page is shown, not what it trains: travels in the URL like a setting."""
    lesson_id = "view"
    presenter: bool = option(False, "Presenter mode",
                             help="Large type and charts for a projector; the lesson text "
                                  "and the data and training controls are folded away.")


PRESET, HIDE = "preset", "hide"
# Query parameters that are not settings: they must never be a field's name.
LINK_PARAMS = (PRESET, HIDE) + field_names(View)


@dataclass(frozen=True)
class Link:
    """What a link asks for, after checking; warnings say what was dropped."""
    settings: Settings
    view: View = View()
    hide: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def read_link(lesson: Lesson, params: Mapping[str, str | list[str]]) -> Link:
    """Check a query string's parameters (repeated names allowed; the last one counts)."""
    last = {k: v[-1] if isinstance(v, list) else v for k, v in params.items() if v != []}
    warnings, pairs = [], {}
    if PRESET in last:
        try:
            pairs.update(to_strings(lesson.preset(last[PRESET])))
        except SettingsError as err:
            warnings.append(f"{err} (no preset applied)")
    pairs.update({k: v for k, v in last.items() if k not in LINK_PARAMS})
    settings, bad = from_strings_lenient(lesson.settings_cls, pairs)
    view, bad_view = from_strings_lenient(View, {k: last[k] for k in field_names(View)
                                                 if k in last})
    hide, bad_hide = _hidden(lesson.settings_cls, params.get(HIDE, []))
    return Link(settings, view, hide, tuple(warnings + bad + bad_view + bad_hide))


def _hidden(cls: type, values: str | list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Field names from `hide` values (repeated or comma-separated); unknown ones warn."""
    names = [n.strip() for v in ([values] if isinstance(values, str) else values)
             for n in v.split(",") if n.strip()]
    known = field_names(cls)
    warnings = [f"{HIDE}: {unknown_field_error(cls, n)} (not hidden)" for n in names
                if n not in known]
    return tuple(n for n in known if n in names), warnings


def to_query(link: Link) -> dict[str, list[str]]:
    """The canonical query of a link: changed settings, then the view, then `hide`."""
    query = {k: [v] for k, v in {**to_strings(link.settings), **to_strings(link.view)}.items()}
    if link.hide:
        query[HIDE] = list(link.hide)
    return query


def query_string(link: Link) -> str:
    return urlencode(to_query(link), doseq=True)
