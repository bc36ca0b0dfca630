"""Class rooms in Redis, for a cluster: students on every replica join the same room.

The same RoomStore contract as the SQLite store (tests/test_classroom_store.py
runs against both). Keys (prefix ``mbcore:room:``): a hash ``CODE`` with the
room (token digest, walkthrough, step, question and task as JSON, revealed,
expires), and a hash per question ``CODE:answers:QUESTION`` and per task
``CODE:results:TASK`` of nickname -> JSON. Every key of a room expires with
the room, so Redis forgets rooms by itself; `close` deletes them at once.
A presenter window's position is a JSON string under ``mbcore:presenter:id:ID``
and ``mbcore:presenter:walk:NAME``, expiring by itself too.
Only JSON is read back, never pickles.
"""
from __future__ import annotations

import functools
import hmac
import json
import os
import secrets
import time

import redis

from mbcore.classroom.store import (CODE_ALPHABET, CODE_LENGTH, FOLLOW_HOURS, ROOM_HOURS,
                                    NotPresenter, Position, Room, RoomError, RoomStore,
                                    SqliteRoomStore, StoreUnavailable, _digest, check_answer, check_nickname,
                                    check_result, normalise_code, position_keys)

PREFIX = "mbcore:room:"
POSITIONS = "mbcore:presenter:"


def _unavailable_as_room_error(cls):
    """Every public method turns a Redis failure into StoreUnavailable, so a Redis that
    goes away mid-lecture gives the pages a message to show, not a traceback."""
    def translated(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except redis.RedisError as err:
                raise StoreUnavailable(
                    "the class room's store (Redis) does not answer just now; answers "
                    f"already sent are kept there. Try again in a moment ({type(err).__name__})"
                ) from err
        return call

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, translated(member))
    return cls


@_unavailable_as_room_error
class RedisRoomStore(RoomStore):
    def __init__(self, url: str, timeout: float = 5.0):
        self.r = redis.Redis.from_url(url, socket_timeout=timeout,
                                      socket_connect_timeout=timeout, decode_responses=True)

    @staticmethod
    def _key(code: str, *parts: str) -> str:
        return PREFIX + ":".join((code, *parts))

    def open(self, walkthrough: str, hours: float = ROOM_HOURS) -> tuple[str, str]:
        token = secrets.token_urlsafe(16)
        expires = time.time() + hours * 3600
        for _ in range(50):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            key = self._key(code)
            if self.r.hsetnx(key, "token_sha256", _digest(token)):    # the code was free
                self.r.hset(key, mapping={"walkthrough": walkthrough, "step": 1, "question": "",
                                          "explore": "", "revealed": 0, "expires": expires})
                self.r.expireat(key, int(expires) + 1)
                return code, token
        raise RoomError("no free room code; close some rooms and try again")

    def _fields(self, code: str) -> tuple[str, dict]:
        code = normalise_code(code)
        fields = self.r.hgetall(self._key(code)) if code else {}
        if not fields or "expires" not in fields or float(fields["expires"]) < time.time():
            raise RoomError(f"there is no open room {code or '(empty)'}: "
                            "check the code on the projector (rooms end after a few hours)")
        return code, fields

    def room(self, code: str) -> Room:
        code, f = self._fields(code)
        return Room(code=code, walkthrough=f["walkthrough"], step=int(f["step"]),
                    question=json.loads(f["question"]) if f["question"] else None,
                    revealed=f["revealed"] == "1", expires=float(f["expires"]),
                    explore=json.loads(f["explore"]) if f["explore"] else None)

    def _presenter(self, code: str, token: str) -> str:
        code, f = self._fields(code)
        if not hmac.compare_digest(f["token_sha256"], _digest(token)):
            raise NotPresenter("only the lecturer who opened this room can do that")
        return code

    def set_step(self, code: str, token: str, step: int, question: dict | None,
                 explore: dict | None = None) -> None:
        code = self._presenter(code, token)
        self.r.hset(self._key(code), mapping={
            "step": int(step), "question": json.dumps(question) if question else "",
            "explore": json.dumps(explore) if explore else "", "revealed": 0})

    def reveal(self, code: str, token: str, revealed: bool = True) -> None:
        code = self._presenter(code, token)
        self.r.hset(self._key(code), "revealed", int(bool(revealed)))

    def close(self, code: str, token: str) -> None:
        code = self._presenter(code, token)
        keys = [self._key(code), *self.r.scan_iter(match=self._key(code, "*"), count=500)]
        self.r.delete(*keys)

    def _put(self, room: Room, kind: str, item: str, nickname: str, record: dict) -> None:
        key = self._key(room.code, kind, item)
        pipe = self.r.pipeline()
        pipe.hset(key, check_nickname(nickname), json.dumps({**record, "at": time.time()}))
        pipe.expireat(key, int(room.expires) + 1)
        pipe.execute()

    def _records(self, code: str, kind: str, item: str) -> list[tuple[str, dict]]:
        """(nickname, record) of one question's answers or one task's results, oldest first."""
        code = self.room(code).code
        found = [(n, json.loads(v)) for n, v in self.r.hgetall(self._key(code, kind, item)).items()]
        return sorted(found, key=lambda pair: pair[1]["at"])

    def answer(self, code: str, question_id: str, nickname: str, value: str) -> None:
        room = self.room(code)
        if not room.question or room.question.get("id") != question_id:
            raise RoomError("this question is closed: the lecturer has moved on")
        self._put(room, "answers", question_id, nickname,
                  {"value": check_answer(room.question, value)})

    def answers(self, code: str, question_id: str) -> dict[str, str]:
        return {n: r["value"] for n, r in self._records(code, "answers", question_id)}

    def submit_result(self, code: str, task_id: str, nickname: str, settings: dict,
                      value: float) -> None:
        room = self.room(code)
        value = check_result(room, task_id, value)
        self._put(room, "results", task_id, nickname, {"settings": settings, "value": value})

    def results(self, code: str, task_id: str) -> list[dict]:
        return [{"nickname": n, "settings": r["settings"], "value": r["value"]}
                for n, r in self._records(code, "results", task_id)]

    def set_position(self, presenter: str, walkthrough: str, step: int, source: str = "",
                     hours: float = FOLLOW_HOURS) -> None:
        keys = position_keys(presenter, walkthrough, step, source)
        now = time.time()
        record = json.dumps({"walkthrough": walkthrough, "step": int(step), "source": source,
                             "at": now, "expires": now + hours * 3600})
        pipe = self.r.pipeline()
        for key in keys:
            pipe.set(POSITIONS + key, record, ex=max(1, int(hours * 3600) + 1))
        pipe.execute()

    def position(self, presenter: str = "", walkthrough: str = "") -> Position | None:
        found = self.r.get(POSITIONS + (f"id:{presenter}" if presenter else f"walk:{walkthrough}"))
        if not found:
            return None
        record = json.loads(found)
        if record["expires"] < time.time():
            return None
        return Position(record["walkthrough"], int(record["step"]), record["source"],
                        float(record["at"]))


def reachable_store(url: str) -> RedisRoomStore | None:
    """The rooms in the Redis at `url`, or None when it does not answer."""
    try:
        found = RedisRoomStore(url, timeout=2.0)
        found.r.ping()
        return found
    except redis.RedisError:
        return None


def store_for_engine(path=None, env=os.environ) -> RoomStore:
    """The rooms the app uses: with the cluster engine (MBCORE_ENGINE=celery) in the
    cluster's Redis, so every replica sees the same rooms; else, or when that Redis
    does not answer, in SQLite at `path`, MBCORE_ROOMS_DB or data/rooms.sqlite3."""
    if env.get("MBCORE_ENGINE", "").strip().lower() == "celery":
        found = reachable_store(env.get("MBCORE_REDIS_URL", "redis://localhost:6379/0"))
        if found is not None:
            return found
    return SqliteRoomStore(path)
