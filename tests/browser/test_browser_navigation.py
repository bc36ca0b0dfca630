"""A lesson link that is a fresh server's very first request still shows the app's
own navigation (pins ui/navigation.py's workaround).

Streamlit starts a server whose folder has `pages/` in its legacy mode, where a
page runs on its own and the sidebar lists file names with this app as "app";
only a run of app.py's st.navigation leaves that mode. Streamlit offers no
setting for it, so a lesson page leaves the mode itself and reruns. If a
Streamlit upgrade changes that flag, this test fails instead of a class seeing
a sidebar of file names.
"""
import tempfile

from .stbrowser import (ARTIFACTS, SERVER_START_TIMEOUT, StPage, free_port, start_server,
                        stop_server, wait_healthy)


def test_a_lesson_link_opened_first_on_a_fresh_server_shows_the_app_navigation(context):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mb-home-") as home, \
            open(ARTIFACTS / "streamlit-fresh-server.log", "w") as log:
        proc = start_server(port, home, log)
        page = context.new_page()
        try:
            wait_healthy(url, proc, SERVER_START_TIMEOUT)
            tab = StPage(page, url).goto("depth_residual")
            tab.assert_no_exception()
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Overview" in nav and "Depth and skip connections" in nav, nav
            assert "depth_residual" not in nav.split() and "app" not in nav.split(), nav
            assert page.get_by_role("heading", name="Depth and skip connections").is_visible()
        finally:
            page.close()
            stop_server(proc)
