"""Lecture walkthrough: a lecture's steps, one at a time (mbcore/ui/walkthrough.py)."""
from mbcore.ui.walkthrough import walkthrough_page

walkthrough_page()
