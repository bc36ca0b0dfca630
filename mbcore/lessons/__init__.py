"""The lesson registry: every lesson is declared once, in lesson order."""
from mbcore.lessons import (aux_output, build_your_own, depth_residual, merge_modes,
                            mlp_shapes, multi_io, multimodal, two_branches)
from mbcore.lessons.common import Lesson
from mbcore.settings import Settings, SettingsError

LESSONS: dict[str, Lesson] = {m.LESSON.id: m.LESSON for m in (
    two_branches, merge_modes, multi_io, aux_output, depth_residual, mlp_shapes, multimodal)}
# The free-form page: not one of the seven lessons, but served the same way.
PLAYGROUND: Lesson = build_your_own.LESSON
ALL_LESSONS: dict[str, Lesson] = {**LESSONS, PLAYGROUND.id: PLAYGROUND}


def get_lesson(lesson_id: str) -> Lesson:
    try:
        return ALL_LESSONS[lesson_id]
    except KeyError:
        raise SettingsError(f"unknown lesson {lesson_id!r}: use one of "
                            f"{', '.join(ALL_LESSONS)}") from None


def lesson_of(settings: Settings) -> Lesson:
    return get_lesson(type(settings).lesson_id)


__all__ = ["ALL_LESSONS", "LESSONS", "PLAYGROUND", "Lesson", "get_lesson", "lesson_of"]
