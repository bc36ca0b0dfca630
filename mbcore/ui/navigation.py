"""Keep the app's own navigation (app.py's st.navigation) even when a link is the
first thing a fresh server serves.

Streamlit starts every server in its legacy pages/ mode, where a page is run
on its own and the sidebar lists file names with the landing page as "app";
only once app.py has called st.navigation does it drop that mode, for every
session. So a class that opens a lesson link before anyone opened the landing
page would see the legacy sidebar. A lesson page calls `use_app_navigation`
first: in the legacy mode it leaves it and reruns, which runs app.py, which
routes to the same page (a page's identity is its URL path, the same in both).
"""
from __future__ import annotations

import streamlit as st


def use_app_navigation() -> None:
    try:        # Streamlit's own switch (st.navigation sets it the same way)
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:         # another Streamlit: keep whatever navigation it shows
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
