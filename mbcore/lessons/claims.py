"""Claims: what a lesson's text says about an outcome, as data that can be checked.

A Claim names one run (a `Side`: changes from the lesson's defaults and the
metric read from the finished training) and a condition: the metric below or
above a bound, or below or above the same metric of a second run. The
`claims` command trains each side over several seeds and `verdict` turns the
results into pass counts and ranges; pages quote the claim's wording with the
last measured verdict (shipped in claims_measured.json) and, after a live
training, `agreement` says whether that run agrees.

Everything here is pure (no training, no TensorFlow): it reads histories.
"""
from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

MEASURED_FILE = Path(__file__).with_name("claims_measured.json")


@dataclass(frozen=True)
class Side:
    """One run of a claim: changes from the lesson's defaults, the metric read from it."""
    name: str                    # how the page calls this run ("residual", "weight 0")
    metric: str                  # a history key; its last value is read
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    id: str
    text: str                    # the sentence the page shows
    side: Side
    op: str                      # "<" or ">"
    bound: float = 0.0           # without `versus`: side op bound; with it: side op versus + bound
    versus: Side | None = None
    seeds: int = 5               # the claim must hold in at least `needed` of this many seeds
    needed: int = 4

    def __post_init__(self):
        if self.op not in ("<", ">"):
            raise ValueError(f"claim {self.id}: op must be '<' or '>'")

    def sides(self) -> tuple[Side, ...]:
        return (self.side,) if self.versus is None else (self.side, self.versus)

    def holds(self, value: float, other: float | None = None) -> bool:
        target = self.bound if self.versus is None else other + self.bound
        return value < target if self.op == "<" else value > target

    def condition(self) -> str:
        if self.versus is None:
            return f"{self.side.name} {self.side.metric} {self.op} {self.bound:g}"
        plus = f" {self.bound:+g}" if self.bound else ""
        return (f"{self.side.name} {self.side.metric} {self.op} "
                f"{self.versus.name} {self.versus.metric}{plus}")


def settings_for(lesson, side: Side, seed: int, epochs_scale: float = 1.0):
    """The settings one side trains with for one seed (epochs scaled, at least 1)."""
    s = lesson.settings_cls(**side.changes)
    return s.replace(seed=seed, epochs=max(1, round(s.epochs * epochs_scale)))


def last_value(history: dict, metric: str) -> float:
    values = history.get(metric)
    if not values:
        raise KeyError(f"no curve {metric!r} in this training (curves: {', '.join(history)})")
    return float(values[-1])


def verdict(lesson_id: str, claim: Claim, histories: list[tuple[dict, dict | None]]) -> dict:
    """Pass count and ranges of one claim from the histories of its runs, one pair per seed
    (the second is None for a claim with a bound)."""
    values, others, passed = [], [], 0
    for main, other in histories:
        v = last_value(main, claim.side.metric)
        o = None if other is None else last_value(other, claim.versus.metric)
        values.append(v)
        if o is not None:
            others.append(o)
        passed += claim.holds(v, o)
    row = {"lesson": lesson_id, "claim": claim.id, "text": claim.text,
           "condition": claim.condition(), "passed": passed, "seeds": len(values),
           "needed": math.ceil(claim.needed * len(values) / claim.seeds),
           "side": claim.side.name, "metric": claim.side.metric,
           "median": statistics.median(values), "min": min(values), "max": max(values)}
    if others:
        row.update(versus=claim.versus.name, versus_median=statistics.median(others),
                   versus_min=min(others), versus_max=max(others))
    row["holds"] = passed >= row["needed"]
    return row


def status_line(row: dict) -> str:
    """The measured status as the page shows it: 'holds in 5/5 seeds: residual median ...'."""
    word = "holds" if row["holds"] else "does NOT hold"
    text = (f"{word} in {row['passed']}/{row['seeds']} seeds: {row['side']} median "
            f"{row['median']:.3g} (range {row['min']:.3g}–{row['max']:.3g})")
    if "versus" in row:
        text += f", {row['versus']} median {row['versus_median']:.3g}"
    return text


def load_measured(path: Path = MEASURED_FILE) -> dict:
    """{(lesson, claim id): row} from the last `claims` run shipped with the app."""
    try:
        rows = json.loads(path.read_text())["claims"]
    except (OSError, ValueError, KeyError):
        return {}
    return {(r["lesson"], r["claim"]): r for r in rows}


def save_measured(rows: list[dict], meta: dict, path: Path = MEASURED_FILE) -> None:
    """Merge these rows into the shipped file (a run of one lesson keeps the others)."""
    kept = {k: v for k, v in load_measured(path).items()}
    kept.update({(r["lesson"], r["claim"]): r for r in rows})
    path.write_text(json.dumps({"command": meta, "claims": list(kept.values())}, indent=1) + "\n")


def differing(lesson, side: Side, settings) -> list[str]:
    """The fields in which these settings leave the side's (seed ignored)."""
    ref = lesson.settings_cls(**side.changes)
    return [f for f in lesson.settings_cls.__dataclass_fields__
            if f != "seed" and getattr(ref, f) != getattr(settings, f)]


def agreement(lesson, claim: Claim, settings, history: dict, measured: dict | None) -> str | None:
    """Whether one finished training agrees with a claim, in a sentence; None when the
    run matches none of the claim's sides (the claim does not speak for it)."""
    for i, side in enumerate(claim.sides()):
        if differing(lesson, side, settings):
            continue
        try:
            value = last_value(history, side.metric)
        except KeyError:
            return None
        if claim.versus is None:
            ok = claim.holds(value)
            return f"this run: {side.metric} {value:.3g} — {'agrees' if ok else 'disagrees'}"
        if not measured or "versus_median" not in measured:
            return None
        # the other side is not trained here: compare with its measured median
        other = measured["versus_median"] if i == 0 else measured["median"]
        ok = claim.holds(value, other) if i == 0 else claim.holds(other, value)
        other_name = claim.versus.name if i == 0 else claim.side.name
        return (f"this run ({side.name}): {side.metric} {value:.3g} against the measured "
                f"{other_name} median {other:.3g} — {'agrees' if ok else 'disagrees'}")
    return None
