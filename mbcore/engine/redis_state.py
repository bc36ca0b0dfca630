"""A cluster's jobs in Redis: the one place every replica and Celery worker reads.

Per job (prefix ``mbcore:``): a hash ``job:ID`` (status, owner, lesson, settings
as text pairs, epochs, queue), a list ``events:ID`` of Events as JSON, a hash
``watch:ID`` of watcher -> last poll time, ``stop:ID`` (Stop pressed),
``beat:ID`` (the worker is alive; it expires when the worker dies), ``resume:ID``
and ``result:ID`` (``Result.to_bytes``: .npz + JSON, never pickle). ``key:HASH``
maps identical requests to one job, ``queued:QUEUE`` holds waiting jobs in
arrival order and ``running`` counts running jobs per owner: a worker takes the
first job of queueing.fair_order, not the oldest one (see celery_app.train).

Each new event is also published on the channel ``news`` (job id and event
type), for the replicas' pages waiting on it. Every change of status is one
Lua script, so that two replicas asking at once, or a cancel racing a worker's
start, see one consistent story.
"""
from __future__ import annotations

import hashlib
import json
import os
import time

import redis

from mbcore.engine.protocol import FINISHED, NOT_SHAREABLE, Event, EventType, Result, Status
from mbcore.engine.queueing import Waiting, fair_order
from mbcore.settings import to_strings

PREFIX = "mbcore:"
# a running job whose worker has not said it is alive for this long is lost
BEAT_SECONDS = int(os.environ.get("MBCORE_BEAT_SECONDS", 15))
KEEP_SECONDS = 24 * 3600   # how long a finished job (and its result) is kept for sharing
# a channel where every new event of a job is announced as "ID TYPE" (news.py)
NEWS = f"{PREFIX}news"
LOST = "the worker running this training was lost (it died or was killed); train again"

_CREATE = """
local key_map, job, events, queued = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if ARGV[1] == '1' then
  local old = redis.call('GET', key_map)
  if old then
    local st = redis.call('HGET', 'mbcore:job:' .. old, 'status')
    local cancelling = redis.call('HGET', 'mbcore:job:' .. old, 'cancelling')
    if st and not string.find(ARGV[4], ',' .. st .. ',', 1, true) and cancelling ~= '1' then
      return {old, 0}
    end
  end
end
redis.call('HSET', job, unpack(cjson.decode(ARGV[3])))
redis.call('RPUSH', events, ARGV[5])
redis.call('ZADD', queued, redis.call('INCR', 'mbcore:numbers'), ARGV[2])
redis.call('SET', key_map, ARGV[2], 'EX', ARGV[6])
return {ARGV[2], 1}
"""
# claim: a worker takes a queued job (one no longer queued just leaves the queue)
_CLAIM = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running')
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
redis.call('INCR', 'mbcore:trainings_run')
redis.call('HINCRBY', 'mbcore:running', redis.call('HGET', KEYS[1], 'owner') or '', 1)
return 1
"""
# finish: the last event, once; ARGV: status, event json, result bytes ('' for none), keep
_FINISH = """
local st = redis.call('HGET', KEYS[1], 'status')
if not st or string.find(ARGV[5], ',' .. st .. ',', 1, true) then return 0 end
if st == 'running' then
  redis.call('HINCRBY', 'mbcore:running', redis.call('HGET', KEYS[1], 'owner') or '', -1)
end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4]) end
redis.call('ZREM', KEYS[4], ARGV[6])
redis.call('DEL', KEYS[5])
for _, k in ipairs({KEYS[1], KEYS[2], KEYS[6]}) do redis.call('EXPIRE', k, ARGV[4]) end
redis.call('PUBLISH', ARGV[7], ARGV[6] .. ' finished')
return 1
"""


def job_hash(settings, epochs, resume: bytes | None) -> str:
    """A stable name for the work, the same on every machine: the lesson, every
    setting as text, the epochs and a digest of the resume state."""
    text = json.dumps({"lesson": type(settings).lesson_id,
                       "settings": to_strings(settings, everything=True), "epochs": epochs,
                       "resume": hashlib.sha256(resume).hexdigest() if resume else None},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _set(statuses) -> str:
    return "," + ",".join(sorted(statuses)) + ","


class JobState:
    """The Redis side of jobs, used by the replicas' engine and by the task."""

    def __init__(self, url: str, timeout: float = 5.0):
        self.r = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._create = self.r.register_script(_CREATE)
        self._claim = self.r.register_script(_CLAIM)
        self._finish = self.r.register_script(_FINISH)

    @staticmethod
    def k(kind: str, job_id: str) -> str:
        return f"{PREFIX}{kind}:{job_id}"

    def create(self, job_id: str, digest: str, fields: dict, queue: str, share: bool) -> tuple[str, bool]:
        """(id, created): a new queued job, or the shareable one already under `digest`."""
        pairs = [x for kv in fields.items() for x in kv]
        found, created = self._create(
            keys=[f"{PREFIX}key:{digest}", self.k("job", job_id), self.k("events", job_id),
                  f"{PREFIX}queued:{queue}"],
            args=["1" if share else "0", job_id, json.dumps(pairs), _set(NOT_SHAREABLE),
                  Event(EventType.QUEUED).to_json(), KEEP_SECONDS])
        return found.decode(), bool(created)

    def claim(self, job_id: str, queue: str) -> bool:
        return bool(self._claim(keys=[self.k("job", job_id), f"{PREFIX}queued:{queue}",
                                      self.k("beat", job_id)], args=[job_id, BEAT_SECONDS]))

    def fair_order(self, queue: str) -> list[str]:
        """The waiting jobs of `queue` in the order workers will take them."""
        ids = [i.decode() for i in self.r.zrange(f"{PREFIX}queued:{queue}", 0, -1)]
        pipe = self.r.pipeline(transaction=False)
        for job_id in ids:
            pipe.hmget(self.k("job", job_id), "owner", "presenter")
        pipe.hgetall(f"{PREFIX}running")
        *fields, running = pipe.execute()
        return fair_order((Waiting(i, (o or b"").decode(), p == b"1")
                           for i, (o, p) in zip(ids, fields)),
                          {a.decode(): int(b) for a, b in running.items()})

    def waiting(self, queues: list[str]) -> int:
        """How many jobs wait in these queues (for protocol.CROWDED)."""
        pipe = self.r.pipeline(transaction=False)
        for queue in queues:
            pipe.zcard(f"{PREFIX}queued:{queue}")
        return sum(pipe.execute())

    def claim_next(self, queues: list[str]) -> str | None:
        """Take the first job in fair order, from the first queue that has one;
        None when nothing waits. Workers racing for the same job: one claims it,
        the others look again."""
        for queue in queues:
            while order := self.fair_order(queue):
                if self.claim(order[0], queue):
                    return order[0]
        return None

    def finish(self, job_id: str, event: Event, result: Result | None = None) -> bool:
        """Record the job's last event (and result) unless it has finished already."""
        queue = (self.r.hget(self.k("job", job_id), "queue") or b"").decode()
        return bool(self._finish(
            keys=[self.k("job", job_id), self.k("events", job_id), self.k("result", job_id),
                  f"{PREFIX}queued:{queue}", self.k("beat", job_id), self.k("watch", job_id)],
            args=[str(event.status), event.to_json(),
                  result.to_bytes() if result is not None else b"", KEEP_SECONDS,
                  _set(FINISHED), job_id, NEWS]))

    def info(self, job_id: str) -> dict:
        """The job's hash as text; KeyError for a job Redis does not know (any more)."""
        raw = self.r.hgetall(self.k("job", job_id))
        if not raw:
            raise KeyError(f"unknown job {job_id!r}")
        return {a.decode(): b.decode() for a, b in raw.items()}

    def status(self, job_id: str) -> Status:
        info = self.info(job_id)
        status = Status(info["status"])
        if status == Status.RUNNING and not self.r.exists(self.k("beat", job_id)):
            self.finish(job_id, Event(EventType.FINISHED, status=Status.FAILED, message=LOST))
            status = Status(self.info(job_id)["status"])
        return status

    def push(self, job_id: str, event: Event) -> None:
        """Append an event, and tell the replicas' listeners (celery_engine) so."""
        pipe = self.r.pipeline(transaction=False)
        pipe.rpush(self.k("events", job_id), event.to_json())
        pipe.publish(NEWS, f"{job_id} {event.type}")
        pipe.execute()

    def events(self, job_id: str, since: int) -> list[Event]:
        return [Event.from_json(e) for e in self.r.lrange(self.k("events", job_id), since, -1)]

    def poll(self, job_id: str, since: int) -> list[Event]:
        """status() and events() in one round trip: a page's poll (KeyError for an
        unknown job; a running job without a heartbeat is finished as lost)."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hget(self.k("job", job_id), "status")
        pipe.exists(self.k("beat", job_id))
        pipe.lrange(self.k("events", job_id), since, -1)
        status, beat, raw = pipe.execute()
        if status is None:
            raise KeyError(f"unknown job {job_id!r}")
        if status.decode() == Status.RUNNING and not beat:
            self.status(job_id)                   # finishes it as lost
            return self.events(job_id, since)
        return [Event.from_json(e) for e in raw]

    def beat(self, job_id: str) -> None:
        self.r.set(self.k("beat", job_id), "1", ex=BEAT_SECONDS)

    def seen(self, job_id: str, watcher: str) -> None:
        self.r.hset(self.k("watch", job_id), watcher, time.time())
        self.r.hset(self.k("job", job_id), "watched", "1")

    def watchers(self, job_id: str, fresh_for: float | None = None) -> dict[str, float]:
        found = {a.decode(): float(b) for a, b in self.r.hgetall(self.k("watch", job_id)).items()}
        if fresh_for is not None:
            found = {w: t for w, t in found.items() if t > time.time() - fresh_for}
        return found

    def result(self, job_id: str) -> Result | None:
        blob = self.r.get(self.k("result", job_id))
        return Result.from_bytes(blob) if blob else None
