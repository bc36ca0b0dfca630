"""The lesson registry: every lesson is declared once, in lesson order."""
from __future__ import annotations

from mbcore.lessons import (aux_output, build_your_own, depth_residual, merge_modes,
                            mlp_shapes, multi_io, multimodal, two_branches)
from mbcore.lessons.lesson import Lesson
from mbcore.settings import Settings, SettingsError

# The seven lessons of the source tutorials, in teaching order.
LESSONS: dict[str, Lesson] = {m.LESSON.id: m.LESSON for m in (
    two_branches, merge_modes, multi_io, aux_output, depth_residual, mlp_shapes, multimodal)}
# The free-form page: not one of the seven lessons, but served the same way.
BUILD_YOUR_OWN: Lesson = build_your_own.LESSON
ALL_LESSONS: dict[str, Lesson] = {**LESSONS, BUILD_YOUR_OWN.id: BUILD_YOUR_OWN}


def get_lesson(lesson_id: str) -> Lesson:
    try:
        return ALL_LESSONS[lesson_id]
    except KeyError:
        raise SettingsError(f"unknown lesson {lesson_id!r}: use one of "
                            f"{', '.join(ALL_LESSONS)}") from None


def lesson_of(settings: Settings) -> Lesson:
    return get_lesson(type(settings).lesson_id)
