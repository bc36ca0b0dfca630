"""A sketch drawn freehand on a small canvas, turned into the answer a sketch
question stores: a value at each of its fixed points (shares of the training).

The canvas (Fabric.js, through streamlit-drawable-canvas) returns every stroke
as a path in its own JSON: a list of commands (M, Q, L) whose points are in the
path's own frame, placed on the canvas by left/top, origin, scale and angle (a
student can move or stretch a stroke with the canvas's edit tool). `strokes`
puts every stroke's points back on the canvas; `sketch_points` reads the curve
at the question's points inside the plot area `Frame` draws, clamping to the
axis range, so the stored answer is the same list of numbers the sliders give.

Where strokes overlap, the later one counts: a student corrects part of the
curve by drawing over it. A drawing that does not cross the training from
start to end (within a small margin) is refused with a message saying so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from mbcore.classroom.store import RoomError, check_sketch

# How far from a point of the question the drawing may stop and still count for
# it (a share of the training): a finger rarely starts exactly on the axis.
EDGE_SHARE = 0.08
_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


@dataclass(frozen=True)
class Frame:
    """The canvas in pixels and the plot area inside it (room left for tick labels)."""
    width: int = 320
    height: int = 200
    left: int = 34
    right: int = 16
    top: int = 10
    bottom: int = 22

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def x_of(self, share: float) -> float:
        return self.left + share * self.plot_width

    def y_of(self, fraction: float) -> float:
        """Pixel row of a fraction (0 = the axis' low end, 1 = its high end)."""
        return self.top + (1 - fraction) * self.plot_height


def strokes(drawing: dict | None) -> list[list[tuple[float, float]]]:
    """Every freehand stroke of a canvas JSON as canvas points, in the order drawn."""
    found = []
    for obj in (drawing or {}).get("objects") or ():
        if not isinstance(obj, dict) or str(obj.get("type", "")).lower() != "path":
            continue
        raw = [(float(c[i]), float(c[i + 1])) for c in obj.get("path") or ()
               if isinstance(c, (list, tuple)) and len(c) >= 3
               for i in range(1, len(c) - 1, 2)]
        if raw:
            found.append(_placed(obj, raw))
    return found


def _placed(obj: dict, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A path's points on the canvas: Fabric centres them on the middle of their
    bounding box, then scales, rotates and moves that centre to the object's place."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mid = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    sx, sy = float(obj.get("scaleX", 1) or 1), float(obj.get("scaleY", 1) or 1)
    if obj.get("flipX"):
        sx = -sx
    if obj.get("flipY"):
        sy = -sy
    w, h = float(obj.get("width", max(xs) - min(xs))), float(obj.get("height", max(ys) - min(ys)))
    cx = float(obj.get("left", mid[0])) + (0.5 - _ORIGIN.get(obj.get("originX"), 0.5)) * w * abs(sx)
    cy = float(obj.get("top", mid[1])) + (0.5 - _ORIGIN.get(obj.get("originY"), 0.5)) * h * abs(sy)
    turn = math.radians(float(obj.get("angle", 0) or 0))
    cos, sin = math.cos(turn), math.sin(turn)
    placed = []
    for x, y in points:
        dx, dy = (x - mid[0]) * sx, (y - mid[1]) * sy
        placed.append((cx + dx * cos - dy * sin, cy + dx * sin + dy * cos))
    return placed


def _height_at(stroke: list[tuple[float, float]], x: float) -> float | None:
    """The stroke's mean height where it crosses column x (None if it does not)."""
    if len(stroke) == 1:
        return stroke[0][1] if stroke[0][0] == x else None
    heights = []
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        if min(x0, x1) <= x <= max(x0, x1):
            heights.append(y0 if x0 == x1 else y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return sum(heights) / len(heights) if heights else None


def sketch_points(drawing: dict | None, question: dict, frame: Frame = Frame()) -> list[float]:
    """The drawn curve as the sketch answer: its value at each of the question's
    points, clamped to the question's range. Raises RoomError when nothing is
    drawn or the drawing does not span the training."""
    try:
        lines = strokes(drawing)
    except (AttributeError, TypeError, ValueError):
        raise RoomError("the drawing could not be read: clear it and draw again") from None
    if not lines:
        raise RoomError("draw the curve first: one stroke from left to right")
    low, high = question.get("range", (0.0, 1.0))
    margin = EDGE_SHARE * frame.plot_width
    points = []
    for share in question.get("at", ()):
        x = frame.x_of(share)
        y = None
        for line in reversed(lines):             # the latest stroke over this column wins
            xs = [p[0] for p in line]
            y = _height_at(line, min(max(x, min(xs)), max(xs))) \
                if min(xs) - margin <= x <= max(xs) + margin else None
            if y is not None:
                break
        if y is None:
            xs = [p[0] for line in lines for p in line]
            seen = [max(0.0, min(1.0, (v - frame.left) / frame.plot_width)) for v in (min(xs), max(xs))]
            raise RoomError(f"the drawing covers {100 * seen[0]:.0f}–{100 * seen[1]:.0f} % of "
                            "the training: draw the curve from the left edge to the right edge")
        fraction = min(1.0, max(0.0, (frame.top + frame.plot_height - y) / frame.plot_height))
        points.append(low + fraction * (high - low))
    return check_sketch(question, points)
