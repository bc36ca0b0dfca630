"""A class in real browsers: the lecturer opens a room on a walkthrough step with
a question, three students join from their own browser contexts (phones), answer,
and the projector counts them and reveals the distribution."""
import re

from .stbrowser import PROJECTOR, SCREENSHOTS, StPage

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
