"""A freehand sketch to the answer a sketch question stores: the drawing read at
the question's points inside the plot area, clamped to the axis range, moved or
stretched strokes put back where they are shown, and a drawing that is empty,
too short or unreadable refused with a message (never a traceback)."""
import pytest

from mbcore.classroom import RoomError
from mbcore.classroom.drawing import Frame, sketch_points, strokes
from mbcore.walkthroughs import find, load

FRAME = Frame()
QUESTION = load(find("seed_000")).steps[2].question.as_dict()      # accuracy, range 0..1


def fabric_stroke(points, **placed):
    """A freehand path as Fabric.js 7 sends it (seen in Chromium): M at the first
    point, a Q per mouse sample ending half-way to the next one, L at the last;
    origin at the centre of the path's bounding box."""
    cmds = [["M", *points[0]]]
    for (x0, y0), (x1, y1) in zip(points[1:-1], points[2:]):
        cmds.append(["Q", x0, y0, (x0 + x1) / 2, (y0 + y1) / 2])
    cmds.append(["L", *points[-1]])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    obj = {"type": "Path", "originX": "center", "originY": "center",
           "left": (min(xs) + max(xs)) / 2, "top": (min(ys) + max(ys)) / 2,
           "width": max(xs) - min(xs), "height": max(ys) - min(ys),
           "scaleX": 1, "scaleY": 1, "angle": 0, "path": cmds}
    return {**obj, **placed}


def line(share0, value0, share1, value1, n=30):
    """Mouse samples along a straight line between two (share, value) points of the plot."""
    return [(FRAME.x_of(share0 + (share1 - share0) * i / (n - 1)),
             FRAME.y_of(value0 + (value1 - value0) * i / (n - 1))) for i in range(n)]


def drawing(*objects):
    return {"version": "7.4.0", "objects": list(objects)}


def test_a_stroke_is_read_at_the_questions_points():
    rising = drawing(fabric_stroke(line(0.0, 0.1, 1.0, 0.9)))
    got = sketch_points(rising, QUESTION, FRAME)
    assert got == pytest.approx([0.1 + 0.8 * at for at in QUESTION["at"]], abs=1e-3)


def test_the_browsers_own_drawing_is_read_where_it_was_drawn():
    """The JSON Chromium sent for a mouse drag from (40, 170) to (290, 30): the
    stroke starts and ends a little inside the plot, still within the margin."""
    real = drawing({"type": "Path", "originX": "center", "originY": "center", "left": 165,
                    "top": 100, "width": 250.006, "height": 140.006, "scaleX": 1, "scaleY": 1,
                    "angle": 0, "path": [["M", 39.997, 170.003], ["Q", 40, 170, 52.5, 163],
                                         ["Q", 65, 156, 77.5, 149], ["Q", 240, 58, 265, 44],
                                         ["L", 290.003, 29.997]]})

    def value_at(x):       # the dragged straight line, as a value of the plot's axis
        y = 170 - (min(max(x, 40), 290) - 40) * 140 / 250
        return (FRAME.top + FRAME.plot_height - y) / FRAME.plot_height

    expected = [value_at(FRAME.x_of(at)) for at in QUESTION["at"]]
    assert sketch_points(real, QUESTION, FRAME) == pytest.approx(expected, abs=0.01)


def test_a_moved_or_stretched_stroke_counts_where_it_is_shown():
    flat = line(0.0, 0.5, 1.0, 0.5)
    lifted = fabric_stroke(flat)
    lifted["top"] -= 0.25 * FRAME.plot_height               # dragged up a quarter of the axis
    assert sketch_points(drawing(lifted), QUESTION, FRAME) == pytest.approx([0.75] * 6, abs=1e-3)
    slope = fabric_stroke(line(0.0, 0.2, 1.0, 0.8), scaleY=0.5)     # squashed about its middle
    assert sketch_points(drawing(slope), QUESTION, FRAME) == \
        pytest.approx([0.35 + 0.3 * at for at in QUESTION["at"]], abs=1e-3)
    [placed] = strokes(drawing(fabric_stroke(flat, originX="left", originY="top",
                                             left=FRAME.left, top=FRAME.y_of(0.5))))
    assert placed[0] == pytest.approx((FRAME.x_of(0), FRAME.y_of(0.5)))


def test_a_later_stroke_corrects_the_part_it_covers_and_values_are_clamped():
    first = fabric_stroke(line(0.0, 0.2, 1.0, 0.2))
    fix = fabric_stroke(line(0.5, 1.3, 1.0, 1.3))           # drawn above the plot area
    got = sketch_points(drawing(first, fix), QUESTION, FRAME)
    assert got == pytest.approx([0.2, 0.2, 0.2, 1.0, 1.0, 1.0], abs=1e-3)
    below = fabric_stroke([(x, FRAME.height + 40) for x, _ in line(0, 0, 1, 0)])
    assert sketch_points(drawing(below), QUESTION, FRAME) == [0.0] * 6


@pytest.mark.parametrize("bad, why", [
    (None, "draw the curve first"),
    (drawing(), "draw the curve first"),
    (drawing({"type": "Rect", "left": 50, "top": 50, "width": 20, "height": 20}),
     "draw the curve first"),
    (drawing(fabric_stroke([(FRAME.x_of(0.5), FRAME.y_of(0.5))] * 2)), "covers 50–50 %"),
    (drawing(fabric_stroke(line(0.0, 0.2, 0.5, 0.6))), "covers 0–50 %"),
    (drawing(fabric_stroke(line(0.0, 0.2, 1.0, 0.6), path=[["M", "a", "b"]])),
     "could not be read"),
    ({"objects": "not a list of objects"}, "draw the curve first"),
])
def test_an_empty_short_or_unreadable_drawing_is_refused_with_a_reason(bad, why):
    with pytest.raises(RoomError, match=why):
        sketch_points(bad, QUESTION, FRAME)
