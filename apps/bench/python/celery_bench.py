"""Celery side of `npm run bench`: a no-op task, `interop.add` and completion counters.

Configured by environment variables (set by apps/bench/src/celery-worker.process.ts):
  BENCH_BROKER   broker URL (redis://... or amqp://...)
  BENCH_BACKEND  result backend URL, or empty for none
  BENCH_QUEUE    the queue to consume (also passed with -Q)
  BENCH_REDIS    Redis URL where completion counters are written
  BENCH_KEY      hash key of the counters
  BENCH_EXTENDED "1": store extended results (result_extended, as the realistic scenarios do)

Each pool process counts its completions in `task_postrun` (which Celery sends after the
result was stored) and a daemon thread writes `c:<pid>` (count), `f:<pid>` / `l:<pid>` (first /
last completion, Unix seconds) every 20 ms, so counting costs Celery no per-task round trip.
The main process writes `ready` when the worker consumes.
"""
import os
import threading
import time

import redis
from celery import Celery
from celery.signals import task_postrun, worker_process_init, worker_ready

BACKEND = os.environ.get("BENCH_BACKEND") or None
app = Celery("celery_bench", broker=os.environ["BENCH_BROKER"], backend=BACKEND)
app.conf.update(
    task_default_queue=os.environ["BENCH_QUEUE"],
    task_ignore_result=BACKEND is None,
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    result_extended=os.environ.get("BENCH_EXTENDED") == "1",
)

KEY = os.environ["BENCH_KEY"]
_state = {"count": 0, "first": 0.0, "last": 0.0}
_lock = threading.Lock()


def _client():
    return redis.Redis.from_url(os.environ["BENCH_REDIS"])


@app.task(name="bench.noop")
def noop(*args, **kwargs):
    return None


@app.task(name="interop.add")
def add(x, y):
    return x + y


@task_postrun.connect
def _count(**_kwargs):
    now = time.time()
    with _lock:
        if _state["count"] == 0:
            _state["first"] = now
        _state["count"] += 1
        _state["last"] = now


def _flush_forever():
    client = _client()
    pid = os.getpid()
    written = -1
    while True:
        time.sleep(0.02)
        with _lock:
            count, first, last = _state["count"], _state["first"], _state["last"]
        if count == written:
            continue
        client.hset(KEY, mapping={f"c:{pid}": count, f"f:{pid}": first, f"l:{pid}": last})
        written = count


@worker_process_init.connect
def _start_flusher(**_kwargs):
    threading.Thread(target=_flush_forever, daemon=True).start()


@worker_ready.connect
def _ready(**_kwargs):
    _client().hset(KEY, "ready", time.time())
