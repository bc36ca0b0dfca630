"""A class in real browsers: the lecturer opens a room on a walkthrough step with
a question, three students join from their own browser contexts (phones), answer,
and the projector counts them and reveals the distribution; arrow keys step and a
notes window follows; a room outlives a server restart."""
import re

import pytest

from mbcore.walkthroughs import find, load

from .stbrowser import (LAPTOP, PROJECTOR, SCREENSHOTS, SERVER_START_TIMEOUT, StPage, free_port,
                        start_server, stop_server, wait_healthy)

PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"Class room ([A-Z0-9]{4})")


def test_students_join_answer_and_the_presenter_reveals(browser, server):
    lecturer = browser.new_context(viewport=PROJECTOR)
    phones = [browser.new_context(viewport=PHONE) for _ in range(3)]
    try:
        projector = StPage(lecturer.new_page(), server).goto("walkthrough?name=seed_002&step=5")
        projector.assert_no_exception()
        projector.page.get_by_role("button", name="Open a class room").click()
        projector.page.get_by_text(CODE).wait_for()
        projector.wait_idle()
        code = CODE.search(projector.page.get_by_text(CODE).inner_text()).group(1)
        options = ["yes, it fits the curve", "no, deeper is worse", "yes, it fits the curve"]
        students = []
        for i, (ctx, answer) in enumerate(zip(phones, options)):
            st = StPage(ctx.new_page(), server).goto(f"join?room={code.lower()}")
            st.page.get_by_label("Your nickname").fill(f"student {i}")
            st.page.get_by_label("Your nickname").press("Enter")
            st.page.get_by_text(answer, exact=True).click()
            st.page.get_by_role("button", name="Send my answer").click()
            st.page.get_by_text(f"Your answer: {answer}").wait_for()
            st.assert_no_exception()
            students.append(st)
        answered = projector.page.locator('[data-testid="stMetric"]').filter(has_text="Answered")
        answered.filter(has_text="3").wait_for(timeout=30_000)     # the room polls every 2 s
        projector.page.get_by_role("button", name="Reveal").click()
        chart = projector.page.locator('[data-testid="stPlotlyChart"]')
        chart.first.wait_for()
        projector.wait_idle()
        assert "The class's answers (3)" in chart.first.inner_text()
        projector.assert_no_exception()
        chart.first.scroll_into_view_if_needed()
        projector.screenshot("90_walkthrough_presenter_revealed", "projector")
        students[0].page.get_by_text("The class's answers (3)").wait_for(timeout=30_000)
        students[0].page.screenshot(path=str(SCREENSHOTS / "91_join_student-phone.png"),
                                    full_page=True)
        wrong = StPage(phones[0].new_page(), server).goto("join?room=ZZZZ")
        wrong.page.get_by_text("there is no open room ZZZZ").wait_for()
        wrong.page.get_by_role("button", name="Type another code").click()
        wrong.page.get_by_label("Room code (on the projector)").wait_for()
        bad = projector.page.locator('[data-testid="stFileUploader"] input[type="file"]')
        bad.set_input_files(files=[{"name": "mine.toml", "mimeType": "application/toml",
                                    "buffer": b'[[steps]]\nlesson = "depth_residual"\n'
                                              b'set = { blocks = 99 }\n'}])
        projector.page.get_by_text("mine.toml: step 1, field 'set.blocks'").wait_for()
        projector.assert_no_exception()
        assert projector.page.get_by_role("button", name="Next").is_visible()   # page carries on
    finally:
        for ctx in (lecturer, *phones):
            ctx.close()


def test_arrow_keys_step_and_the_notes_window_follows(browser, server):
    lecturer = browser.new_context(viewport=LAPTOP)
    try:
        walk = load(find("seed_004"))
        projector = StPage(lecturer.new_page(), server).goto("walkthrough?name=seed_004&step=1")
        href = projector.page.get_by_role("link", name="Notes in a second window") \
            .get_attribute("href")
        notes = StPage(lecturer.new_page(), server).goto(href.split("/")[-1])
        heading = notes.page.locator("h2")
        assert heading.first.inner_text().strip() == walk.steps[0].title
        projector.page.bring_to_front()
        projector.page.locator("body").press("ArrowRight")
        projector.page.wait_for_url("**step=2**")
        projector.wait_idle()
        assert projector.page.locator("h1").first.inner_text().strip() == walk.steps[1].title
        notes.page.get_by_role("heading", name=walk.steps[1].title).wait_for(timeout=10_000)
        projector.page.locator("body").press("ArrowLeft")
        projector.page.wait_for_url("**step=1**")
        notes.page.get_by_role("heading", name=walk.steps[0].title).wait_for(timeout=10_000)
        projector.assert_no_exception()
        notes.assert_no_exception()
    finally:
        lecturer.close()


def test_a_student_sketches_and_the_projector_shows_the_sketches(browser, server):
    lecturer = browser.new_context(viewport=PROJECTOR)
    phone = browser.new_context(viewport=PHONE)
    try:
        projector = StPage(lecturer.new_page(), server).goto("walkthrough?name=seed_000&step=3")
        projector.page.get_by_role("button", name="Open a class room").click()
        projector.page.get_by_text(CODE).wait_for()
        code = CODE.search(projector.page.get_by_text(CODE).inner_text()).group(1)
        student = StPage(phone.new_page(), server).goto(f"join?room={code}")
        student.page.get_by_label("Your nickname").fill("ada")
        student.page.get_by_label("Your nickname").press("Enter")
        answered = projector.page.locator('[data-testid="stMetric"]').filter(has_text="Answered")
        answered.filter(has_text="0").wait_for()
        canvas = student.page.locator(".st-key-_mb_canvas_step3 canvas").last
        canvas.wait_for()
        draw(student, canvas, [(0.0, 0.1), (0.4, 0.3)])            # stops too early
        student.page.get_by_role("button", name="Send my sketch").click()
        student.page.get_by_text("Not sent: the drawing covers").wait_for()
        draw(student, canvas, [(0.0, 0.1), (0.2, 0.5), (0.5, 0.75), (1.0, 0.85)])
        student.page.get_by_role("button", name="Send my sketch").click()
        student.page.get_by_text("Your sketch is in").wait_for()
        student.assert_no_exception()
        sent = student.page.locator('[data-testid="stPlotlyChart"]').filter(
            has_text="Your sketch as sent").locator(".js-plotly-plot")
        assert sent.evaluate("plot => plot.data[0].y") == pytest.approx(
            [0.1, 0.5, 0.667, 0.77, 0.81, 0.85], abs=0.03)         # read where it was drawn
        student.page.set_viewport_size({**PHONE, "height": 1400})     # down to the sketch as sent
        student.page.screenshot(path=str(SCREENSHOTS / "93_join_sketch-phone.png"))
        answered.filter(has_text="1").wait_for(timeout=30_000)
        projector.page.get_by_role("button", name="Train", exact=True).click()   # 10 epochs
        projector.page.locator('[data-testid="stMetric"]').filter(has_text="wall time") \
            .wait_for(timeout=240_000)
        projector.page.get_by_role("button", name="Reveal").click()
        chart = projector.page.locator('[data-testid="stPlotlyChart"]').filter(
            has_text="The class's answers (1)")
        chart.wait_for()
        projector.wait_idle()
        assert "measured (this network)" in chart.inner_text()
        projector.assert_no_exception()
        chart.scroll_into_view_if_needed()
        projector.screenshot("92_walkthrough_sketches_revealed", "projector")
    finally:
        lecturer.close()
        phone.close()


def draw(student: StPage, canvas, corners) -> None:
    """A mouse stroke through (share of the training, value 0..1) corners of the
    sketch's plot area (mbcore.classroom.drawing.Frame), in small steps as a hand moves."""
    from mbcore.classroom.drawing import Frame
    frame, box = Frame(), canvas.bounding_box()

    def at(share, value):
        return (box["x"] + frame.x_of(share) * box["width"] / frame.width,
                box["y"] + frame.y_of(value) * box["height"] / frame.height)

    student.page.mouse.move(*at(*corners[0]))
    student.page.mouse.down()
    for corner in corners[1:]:
        student.page.mouse.move(*at(*corner), steps=8)
    student.page.mouse.up()
    student.wait_idle()


def test_the_editor_refuses_a_malformed_upload_and_keeps_the_draft(browser, server):
    from playwright.sync_api import expect
    lecturer = browser.new_context(viewport=LAPTOP)
    try:
        editor = StPage(lecturer.new_page(), server).goto("walkthrough?name=seed_003&view=edit")
        editor.page.get_by_role("button", name="Start from").click()
        editor.wait_idle()
        steps = len(load(find("seed_003")).steps)
        expect(editor.page.get_by_label("Title").first).to_have_value(load(find("seed_003")).title)
        expect(editor.page.get_by_text(re.compile(r"^\d+\. "))).to_have_count(steps)
        upload = editor.page.locator('[data-testid="stFileUploader"] input[type="file"]').last
        upload.set_input_files(files=[{"name": "broken.toml", "mimeType": "application/toml",
                                       "buffer": b'[[steps]]\nlesson = "mlp_shapes"\n'
                                                 b'[[steps]]\nlesson = "mlp_shapes"\n'
                                                 b'show = ["hologram"]\n'}])
        editor.page.get_by_text("broken.toml was not loaded (step 2, field 'show'").wait_for()
        editor.wait_idle()
        expect(editor.page.get_by_text(re.compile(r"^\d+\. "))).to_have_count(steps)
        editor.assert_no_exception()
        editor.screenshot("94_walkthrough_editor", "laptop")
    finally:
        lecturer.close()


def test_a_room_survives_a_server_restart(browser, tmp_path):
    """A room opened through the server, and its answers and presenter link, outlive
    the server process (a new one on the same database, on another port)."""
    from mbcore.classroom import SqliteRoomStore
    lecturer = browser.new_context(viewport=LAPTOP)
    with open(tmp_path / "server.log", "w") as log:
        url = f"http://127.0.0.1:{free_port()}"
        proc = start_server(int(url.rsplit(":", 1)[1]), str(tmp_path), log,
                                MBCORE_WORKERS="1")   # nothing trains here
        try:
            wait_healthy(url, proc, SERVER_START_TIMEOUT)
            projector = StPage(lecturer.new_page(), url).goto("walkthrough?name=seed_002&step=5")
            projector.page.get_by_role("button", name="Open a class room").click()
            projector.page.get_by_text(CODE).wait_for()
            code = CODE.search(projector.page.get_by_text(CODE).inner_text()).group(1)
            projector.wait_idle()                 # the room's first run has ended
            projector.page.get_by_role("button", name="Presenter link (private)").click()
            link = re.search(r"walkthrough\?\S+key=\S+", projector.page.locator(
                '[data-testid="stCode"]').filter(has_text="key=").inner_text()).group(0)
            # a student's answer (the browser path of answering is the test above)
            SqliteRoomStore(tmp_path / "rooms.sqlite3").answer(code, "step5", "ada",
                                                               "no, deeper is worse")
        finally:
            stop_server(proc)
            lecturer.close()
        url = f"http://127.0.0.1:{free_port()}"
        proc = start_server(int(url.rsplit(":", 1)[1]), str(tmp_path), log,
                                MBCORE_WORKERS="1")   # nothing trains here
        fresh = browser.new_context(viewport=LAPTOP)            # no session from before
        try:
            wait_healthy(url, proc, SERVER_START_TIMEOUT)
            again = StPage(fresh.new_page(), url).goto(link)
            again.page.get_by_text(f"Class room {code}").wait_for()
            assert "key=" not in again.page.url
            answered = again.page.locator('[data-testid="stMetric"]').filter(has_text="Answered")
            answered.filter(has_text="1").wait_for(timeout=15_000)
            again.page.get_by_role("button", name="Reveal").click()
            again.page.get_by_text("The class's answers (1)").first.wait_for()
            again.assert_no_exception()
            back = StPage(fresh.new_page(), url).goto(f"join?room={code}")
            back.page.get_by_label("Your nickname").wait_for()
        finally:
            stop_server(proc)
            fresh.close()
