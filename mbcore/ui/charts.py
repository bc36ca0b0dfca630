"""Where a chart is drawn decides its key, its PNG file name and who keeps it.

The A/B view draws a lesson's own fit plot twice (for A and for B) with the
same code, so inside `chart_scope("A")` every chart key gets an 'A' prefix.
A scope may also collect the figures drawn in it, for the Downloads panel's
HTML file. Scopes are per script thread (a ContextVar), so sessions never mix.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field

from mbcore.views.downloads import file_stem
from mbcore.views.figures import export_config


@dataclass
class _Scope:
    prefix: str = ""
    name: str = ""                    # the lesson id, for file names
    label: str = ""                   # which run, for the collected figures ("A (pinned)")
    collected: list | None = field(default=None)


_current: ContextVar[_Scope] = ContextVar("mbcore_chart_scope", default=_Scope())


@contextlib.contextmanager
def chart_scope(prefix: str = "", name: str = "", collect: list | None = None,
                label: str | None = None):
    """Charts drawn inside get keys prefixed with `prefix` (added to the enclosing
    scope's), file names starting with `name`, and are appended to `collect`
    (by default the enclosing scope's list) as (label, figure) pairs."""
    outer = _current.get()
    scope = _Scope(prefix=outer.prefix + prefix, name=name or outer.name,
                   label=outer.label if label is None else label,
                   collected=collect if collect is not None else outer.collected)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def new_page() -> None:
    """A page run starts outside every scope, whatever an earlier run left."""
    _current.set(_Scope())


def collect_from_here(figures: list) -> None:
    """Charts drawn from now to the end of this page run also go to `figures`:
    the page's own plots of a result, drawn after `train_panel` returns, belong
    in its Downloads HTML too (the file is put together only on a click)."""
    outer = _current.get()
    _current.set(_Scope(prefix=outer.prefix, name=outer.name, label=outer.label,
                        collected=figures))


def placed(fig, key: str | None) -> tuple[str | None, dict]:
    """The key and the Plotly config a chart gets where it is drawn now."""
    scope = _current.get()
    if scope.collected is not None:
        scope.collected.append((scope.label, fig))
    # A lesson's key says what the chart is ('multi_io/train_loss'); a page's own
    # chart without one is named by its title.
    title = fig.layout.title.text
    if scope.name:
        what = key.split("/")[-1] if key else (title or "plot")
        stem = file_stem(scope.name, scope.prefix.strip("/").replace("/", "-"), what)
    else:
        stem = file_stem(key.replace("/", "-") if key and ("/" in key or not title) else title)
    return (f"{scope.prefix}{key}" if key and scope.prefix else key), export_config(stem)
