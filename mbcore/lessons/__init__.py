"""Lessons: one file per lesson, the registry, and Experiment (a lesson resolved once)."""
from mbcore.lessons.experiment import Experiment
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.registry import ALL_LESSONS, BUILD_YOUR_OWN, LESSONS, get_lesson, lesson_of

__all__ = ["ALL_LESSONS", "BUILD_YOUR_OWN", "Experiment", "LESSONS", "Lesson", "get_lesson",
           "lesson_of"]
