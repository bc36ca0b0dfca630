"""Where a class room lives: its code, presenter token, current question, answers;
and where each presenter window is, for the notes window that follows it.

`RoomStore` is the whole interface the pages use, kept small so that a second
implementation (Redis, for several app replicas) needs only these methods.
`SqliteRoomStore` is the default: one SQLite file (MBCORE_ROOMS_DB, default
data/rooms.sqlite3), so rooms survive a server restart. Each call opens its own
short connection and transaction; WAL lets students answer while the projector
reads, and a UNIQUE (room, question, nickname) row means a student who answers
twice changes their answer instead of counting twice.

A presenter window's position (walkthrough and step) is kept under its
presenter id and under the walkthrough's name, so a notes window served by any
replica follows it; an uploaded walkthrough travels as its TOML text.

No student data is kept beyond the nickname they choose; rooms expire.
"""
from __future__ import annotations

import abc
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

# No 0/O, 1/I/L: a code read off a projector must be typed without guessing.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4
ROOM_HOURS = 4.0
NICKNAME_MAX = 24
FOLLOW_HOURS = 12.0           # a presenter window silent this long is forgotten
SOURCE_MAX = 256 * 1024       # an uploaded walkthrough's TOML text, in characters
DB_ENV = "MBCORE_ROOMS_DB"
DEFAULT_DB = Path(__file__).resolve().parents[2] / "data" / "rooms.sqlite3"


class RoomError(ValueError):
    """A room cannot be used (unknown, closed or expired code; bad nickname or answer)."""


class StoreUnavailable(RoomError):
    """The room store does not answer (Redis down, database locked or unwritable).

    A RoomError, so every page that reports a bad code reports this too; what the
    class sent before stays in the store for when it answers again."""


class NotPresenter(PermissionError):
    """A presenter-only action without the room's presenter token."""


@dataclass(frozen=True)
class Room:
    code: str
    walkthrough: str
    step: int                  # the presenter's current step, from 1
    question: dict | None      # the current question (id, kind, text, options, unit) or None
    revealed: bool             # the presenter has revealed the answers of this question
    expires: float             # epoch seconds
    explore: dict | None = None    # the step's own-variant task (id, lesson, settings, fields,
                                   # measured) or None


@dataclass(frozen=True)
class Position:
    """Where a presenter window is: a walkthrough (its TOML text too when it was
    uploaded, "" for a shipped one), its step, and when that was recorded."""
    walkthrough: str
    step: int
    source: str = ""
    at: float = 0.0


def normalise_code(text: str) -> str:
    return "".join(str(text or "").split()).upper()


class RoomStore(abc.ABC):
    """What a room store does. Presenter-only methods take the token and raise
    NotPresenter when it is wrong; everything about a room raises RoomError when
    the code is unknown, closed or expired."""

    @abc.abstractmethod
    def open(self, walkthrough: str, hours: float = ROOM_HOURS) -> tuple[str, str]:
        """A new room: (code, presenter token)."""

    @abc.abstractmethod
    def room(self, code: str) -> Room:
        """The room's current state."""

    @abc.abstractmethod
    def set_step(self, code: str, token: str, step: int, question: dict | None,
                 explore: dict | None = None) -> None:
        """Presenter: move the room to a step (its question, not yet revealed, and its
        own-variant task)."""

    @abc.abstractmethod
    def reveal(self, code: str, token: str, revealed: bool = True) -> None:
        """Presenter: show (or hide again) the answers to the current question."""

    @abc.abstractmethod
    def close(self, code: str, token: str) -> None:
        """Presenter: end the room; its code stops working and its answers are deleted."""

    @abc.abstractmethod
    def answer(self, code: str, question_id: str, nickname: str, value) -> None:
        """Student: record (or change) this nickname's answer to a question: an
        option, a number, or a sketch's numbers; stored as `check_answer` writes it."""

    @abc.abstractmethod
    def answers(self, code: str, question_id: str) -> dict[str, str]:
        """nickname -> answer, for one question of a room."""

    @abc.abstractmethod
    def submit_result(self, code: str, task_id: str, nickname: str, settings: dict,
                      value: float) -> None:
        """Student: record (or replace) the result of this nickname's own variant."""

    @abc.abstractmethod
    def results(self, code: str, task_id: str) -> list[dict]:
        """Every submitted variant: {nickname, settings, value}."""

    @abc.abstractmethod
    def set_position(self, presenter: str, walkthrough: str, step: int, source: str = "",
                     hours: float = FOLLOW_HOURS) -> None:
        """A presenter window's step, kept under its presenter id and under the
        walkthrough's name for `hours` (its notes window may be served elsewhere)."""

    @abc.abstractmethod
    def position(self, presenter: str = "", walkthrough: str = "") -> Position | None:
        """Where that presenter window is (by id), or else the latest presenter of
        that walkthrough (by name); None when unknown or forgotten."""

    def check_presenter(self, code: str, token: str) -> None:
        """Raise NotPresenter unless `token` is the room's (a presenter link reopened).
        Works on any store through an idempotent reveal; a store may read instead."""
        self.reveal(code, token, self.room(code).revealed)

    def counts(self, code: str, question_id: str) -> Counter:
        return Counter(self.answers(code, question_id).values())


def check_nickname(nickname: str) -> str:
    name = " ".join(str(nickname or "").split())
    if not name:
        raise RoomError("choose a nickname")
    if len(name) > NICKNAME_MAX:
        raise RoomError(f"a nickname has at most {NICKNAME_MAX} characters")
    return name


def check_answer(question: dict, value) -> str:
    """A student's answer as stored text: one of a choice question's options, a
    finite number, or a sketch (a JSON list of a value per point, inside its range)."""
    if question.get("kind") == "choice":
        if value not in question.get("options", ()):
            raise RoomError(f"choose one of {', '.join(question.get('options', ()))}")
        return str(value)
    if question.get("kind") == "sketch":
        return json.dumps(check_sketch(question, value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RoomError("give a number") from None
    if number != number or abs(number) == float("inf"):
        raise RoomError("give a finite number")
    return repr(number)


def check_sketch(question: dict, value) -> list[float]:
    """A sketch as numbers: one per point of the question, each inside its range."""
    try:
        points = [float(v) for v in (json.loads(value) if isinstance(value, str) else value)]
    except (TypeError, ValueError):
        raise RoomError("a sketch is a list of numbers") from None
    low, high = question.get("range", (0.0, 1.0))
    if len(points) != len(question.get("at", ())):
        raise RoomError(f"a sketch has {len(question.get('at', ()))} points")
    if not all(low <= p <= high for p in points):
        raise RoomError(f"draw the sketch between {low:g} and {high:g}")
    return [round(p, 6) for p in points]


def check_result(room: Room, task_id: str, value) -> float:
    """A student's own-variant result as stored: for the room's current task, finite."""
    if not room.explore or room.explore.get("id") != task_id:
        raise RoomError("this exercise is closed: the lecturer has moved on")
    value = float(value)
    if value != value or abs(value) == float("inf"):
        raise RoomError("the result is not a finite number")
    return value


def position_keys(presenter: str, walkthrough: str, step: int, source: str) -> list[str]:
    """The keys a presenter's position is kept under, after checking what it says."""
    if not presenter or not walkthrough or int(step) < 1:
        raise RoomError("a position needs a presenter id, a walkthrough and a step from 1")
    if len(source) > SOURCE_MAX:
        raise RoomError(f"this walkthrough is too long for the notes window to follow "
                        f"({len(source):,} characters; at most {SOURCE_MAX:,})")
    return [f"id:{presenter}", f"walk:{walkthrough}"]


def _digest(token: str) -> str:
    return hashlib.sha256(str(token or "").encode()).hexdigest()


SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, walkthrough TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 1, question TEXT, explore TEXT,
    revealed INTEGER NOT NULL DEFAULT 0,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE, question TEXT NOT NULL,
    nickname TEXT NOT NULL, value TEXT NOT NULL, at REAL NOT NULL,
    UNIQUE (code, question, nickname));
CREATE TABLE IF NOT EXISTS results (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE, task TEXT NOT NULL,
    nickname TEXT NOT NULL, settings TEXT NOT NULL, value REAL NOT NULL, at REAL NOT NULL,
    UNIQUE (code, task, nickname));
CREATE TABLE IF NOT EXISTS positions (
    key TEXT PRIMARY KEY, walkthrough TEXT NOT NULL, step INTEGER NOT NULL,
    source TEXT NOT NULL, at REAL NOT NULL, expires REAL NOT NULL);
"""


class SqliteRoomStore(RoomStore):
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # autocommit mode; writes take BEGIN IMMEDIATE so concurrent writers queue
        # on the busy timeout instead of failing on a lock upgrade
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _write(self, sql: str, params: tuple, *more: tuple[str, tuple]) -> int:
        """Statements in one transaction; the rows the first one changed."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                changed = db.execute(sql, params).rowcount
                for statement in more:
                    db.execute(*statement)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return changed

    def open(self, walkthrough: str, hours: float = ROOM_HOURS) -> tuple[str, str]:
        token = secrets.token_urlsafe(16)
        now = time.time()
        self._write("DELETE FROM rooms WHERE expires < ?", (now,))
        for _ in range(50):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                self._write("INSERT INTO rooms (code, token_sha256, walkthrough, expires) "
                            "VALUES (?, ?, ?, ?)", (code, _digest(token), walkthrough,
                                                    now + hours * 3600))
                return code, token
            except sqlite3.IntegrityError:       # the code is taken: draw another
                continue
        raise RoomError("no free room code; close some rooms and try again")

    def _row(self, code: str):
        with closing(self._connect()) as db:
            row = db.execute("SELECT code, walkthrough, step, question, revealed, expires, "
                             "token_sha256, explore FROM rooms WHERE code = ?",
                             (normalise_code(code),)).fetchone()
        if row is None or row[5] < time.time():
            raise RoomError(f"there is no open room {normalise_code(code) or '(empty)'}: "
                            "check the code on the projector (rooms end after a few hours)")
        return row

    def room(self, code: str) -> Room:
        c, walk, step, question, revealed, expires, _, explore = self._row(code)
        return Room(code=c, walkthrough=walk, step=step,
                    question=json.loads(question) if question else None,
                    revealed=bool(revealed), expires=expires,
                    explore=json.loads(explore) if explore else None)

    def _presenter(self, code: str, token: str) -> str:
        row = self._row(code)
        if not hmac.compare_digest(row[6], _digest(token)):
            raise NotPresenter("only the lecturer who opened this room can do that")
        return row[0]

    def check_presenter(self, code: str, token: str) -> None:
        self._presenter(code, token)

    def set_step(self, code: str, token: str, step: int, question: dict | None,
                 explore: dict | None = None) -> None:
        code = self._presenter(code, token)
        self._write("UPDATE rooms SET step = ?, question = ?, explore = ?, revealed = 0 "
                    "WHERE code = ?", (int(step), json.dumps(question) if question else None,
                                       json.dumps(explore) if explore else None, code))

    def reveal(self, code: str, token: str, revealed: bool = True) -> None:
        code = self._presenter(code, token)
        self._write("UPDATE rooms SET revealed = ? WHERE code = ?", (int(revealed), code))

    def close(self, code: str, token: str) -> None:
        code = self._presenter(code, token)
        self._write("DELETE FROM rooms WHERE code = ?", (code,))

    def answer(self, code: str, question_id: str, nickname: str, value) -> None:
        room = self.room(code)
        if not room.question or room.question.get("id") != question_id:
            raise RoomError("this question is closed: the lecturer has moved on")
        value = check_answer(room.question, value)
        self._write("INSERT INTO answers (code, question, nickname, value, at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (code, question, nickname) "
                    "DO UPDATE SET value = excluded.value, at = excluded.at",
                    (room.code, question_id, check_nickname(nickname), value, time.time()))

    def answers(self, code: str, question_id: str) -> dict[str, str]:
        code = self.room(code).code
        with closing(self._connect()) as db:
            rows = db.execute("SELECT nickname, value FROM answers WHERE code = ? AND "
                              "question = ? ORDER BY at", (code, question_id)).fetchall()
        return dict(rows)


    def submit_result(self, code: str, task_id: str, nickname: str, settings: dict,
                      value: float) -> None:
        room = self.room(code)
        value = check_result(room, task_id, value)
        self._write("INSERT INTO results (code, task, nickname, settings, value, at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code, task, nickname) "
                    "DO UPDATE SET settings = excluded.settings, value = excluded.value, "
                    "at = excluded.at", (room.code, task_id, check_nickname(nickname),
                                         json.dumps(settings), value, time.time()))

    def results(self, code: str, task_id: str) -> list[dict]:
        code = self.room(code).code
        with closing(self._connect()) as db:
            rows = db.execute("SELECT nickname, settings, value FROM results WHERE code = ? "
                              "AND task = ? ORDER BY at", (code, task_id)).fetchall()
        return [{"nickname": n, "settings": json.loads(s), "value": v} for n, s, v in rows]


    def set_position(self, presenter: str, walkthrough: str, step: int, source: str = "",
                     hours: float = FOLLOW_HOURS) -> None:
        keys = position_keys(presenter, walkthrough, step, source)
        now = time.time()
        put = ("INSERT OR REPLACE INTO positions (key, walkthrough, step, source, at, expires) "
               "VALUES (?, ?, ?, ?, ?, ?)")
        self._write("DELETE FROM positions WHERE expires < ?", (now,),
                    *[(put, (key, walkthrough, int(step), source, now, now + hours * 3600))
                      for key in keys])

    def position(self, presenter: str = "", walkthrough: str = "") -> Position | None:
        key = f"id:{presenter}" if presenter else f"walk:{walkthrough}"
        with closing(self._connect()) as db:
            row = db.execute("SELECT walkthrough, step, source, at FROM positions WHERE key = ? "
                             "AND expires >= ?", (key, time.time())).fetchone()
        return Position(*row) if row else None


def default_store() -> RoomStore:
    """The store the app uses: SQLite at MBCORE_ROOMS_DB (or data/rooms.sqlite3)."""
    return SqliteRoomStore()
