"""The lesson's claims beside its text: each claim's wording, its status measured
over seeds by `python -m mbcore claims` (shipped in claims_measured.json), and
whether the page's last finished training agrees with it."""
from __future__ import annotations

import streamlit as st

from mbcore.lessons import Experiment
from mbcore.lessons.claims import agreement, load_measured, status_line


@st.cache_data
def _measured() -> dict:
    return load_measured()


def claims_box(exp: Experiment, where, run=None) -> None:
    """Draw the claims of exp's lesson in `where` (the text column); `run` is the
    page's finished training (an Outcome) or None."""
    lesson = exp.lesson
    if not lesson.claims:
        return
    measured = _measured()
    with where, st.container(border=True):
        st.markdown("**What this lesson claims, measured over seeds**")
        for claim in lesson.claims:
            row = measured.get((lesson.id, claim.id))
            if row is None:
                status = "not measured yet (run `python -m mbcore claims`)"
                icon = ":material/help:"
            else:
                status = status_line(row)
                icon = (":green[:material/check_circle:]" if row["holds"]
                        else ":red[:material/cancel:]")
            st.markdown(f"{icon} {claim.text}  \n"
                        f"<small>{status}</small>", unsafe_allow_html=True)
            if run is not None and run.history and run.epoch < run.settings.epochs:
                st.caption(f"this run stopped at epoch {run.epoch} of {run.settings.epochs}: "
                           "the claim is about the end")
            elif run is not None and run.history:
                said = agreement(lesson, claim, run.settings, run.history, row)
                st.caption(said or "this run: other settings than this claim's "
                                   "(it does not speak for them)")
