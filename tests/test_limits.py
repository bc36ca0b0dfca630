"""Limits from the settings table: every range a slider shows is enforced by the
core too, so neither a link nor the command line can ask for more, and the
biggest allowed settings train within a worker's memory budget."""
import pytest

from membench import WORKER_BUDGET_MB, biggest_settings, worker_peak
from mbcore.lessons import ALL_LESSONS
from mbcore.settings import SettingsError, from_strings, from_strings_lenient, specs

FIELDS = [(lesson, spec) for lesson in ALL_LESSONS.values()
          for spec in specs(lesson.settings_cls)]
NUMERIC = [(lesson, spec) for lesson, spec in FIELDS if spec.type in (int, float)]


def _id(pair):
    return f"{pair[0].id}.{pair[1].name}" if isinstance(pair, tuple) else None


def test_every_setting_is_bounded():
    for lesson, spec in FIELDS:
        where = f"{lesson.id}.{spec.name}"
        if spec.type in (int, float):
            assert spec.lo is not None and spec.hi is not None, f"{where} has an open range"
        elif spec.type is str:
            assert spec.choices, f"{where} takes any text"
        else:
            assert spec.type is bool, f"{where} has an unchecked type {spec.type}"


@pytest.mark.parametrize("pair", NUMERIC, ids=_id)
def test_one_past_either_end_of_a_range_is_refused(pair):
    lesson, spec = pair
    cls = lesson.settings_cls
    for outside in (spec.hi + 1, spec.lo - 1):
        text = spec.to_text(spec.type(outside))
        with pytest.raises(SettingsError, match=spec.name):
            from_strings(cls, {spec.name: text})                  # command line, strict
        with pytest.raises(SettingsError, match=spec.name):
            cls(**{spec.name: spec.type(outside)})                 # the core itself
        settings, warnings = from_strings_lenient(cls, {spec.name: text})   # a link
        assert getattr(settings, spec.name) == spec.default
        assert len(warnings) == 1 and spec.name in warnings[0]


@pytest.mark.parametrize("pair", NUMERIC, ids=_id)
def test_both_ends_of_a_range_are_allowed(pair):
    lesson, spec = pair
    for end in (spec.lo, spec.hi):
        value = from_strings(lesson.settings_cls, {spec.name: spec.to_text(spec.type(end))})
        assert getattr(value, spec.name) == spec.type(end)


@pytest.mark.parametrize("lesson", ALL_LESSONS.values(), ids=lambda l: l.id)
def test_the_biggest_settings_are_allowed_and_at_the_top_of_every_size(lesson):
    big = biggest_settings(lesson)
    for spec in specs(lesson.settings_cls):
        if spec.type is int and spec.name not in ("seed", "epochs"):
            assert getattr(big, spec.name) == spec.hi
    assert lesson.architecture(big).params >= lesson.architecture(lesson.settings_cls()).params


@pytest.mark.parametrize("lesson_id", ["depth_residual", "build_your_own"])
def test_a_biggest_setting_trains_within_a_workers_memory_budget(lesson_id):
    """Quick ones only; `python -m mbcore membench --biggest` trains every lesson's."""
    result, peak = worker_peak(biggest_settings(ALL_LESSONS[lesson_id]), timeout=280)
    assert result is not None and result.status == "done", result and result.message
    assert 0 < peak <= WORKER_BUDGET_MB


def test_a_workers_peak_is_its_own_not_its_parents():
    """ru_maxrss of a subprocess carries its parent's peak across the exec (how a
    pytest holding TensorFlow made a 590 MB worker read 918 MB): membench reads VmHWM."""
    import subprocess
    import sys
    from pathlib import Path
    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"\1" * len(range(0, len(ballast), 4096))     # touched: resident
    code = "from loadtest import own_peak_rss_mb; print(own_peak_rss_mb())"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1] / "tools",
                         capture_output=True, text=True, check=True).stdout
    assert 0 < float(out) < 200
    del ballast
