"""Lecture walkthroughs as data: an ordered list of steps read from a TOML file,
checked against the lesson registry before a lecture starts (no Streamlit here)."""
from mbcore.walkthroughs.model import (PANELS, Explore, QUESTION_KINDS, Question, Step, Walkthrough,
                                       WalkthroughError, find, load, parse, shipped)

__all__ = ["Explore", "PANELS", "QUESTION_KINDS", "Question", "Step", "Walkthrough", "WalkthroughError",
           "find", "load", "parse", "shipped"]
