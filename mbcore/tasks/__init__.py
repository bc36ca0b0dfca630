"""Seeded toy data for the lessons. One signature for all: make(settings) -> Dataset.

A lesson names its generator function directly (Lesson.task). Arrays are keyed
by the model's input and output layer names, so the trainer, the plots and the
exported code never have to know which lesson they serve.
"""
from mbcore.tasks.base import Dataset, one_hot

__all__ = ["Dataset", "one_hot"]
