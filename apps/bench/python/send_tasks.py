"""Python producer of `npm run bench` (the drain-py scenario): what a Python service sends.

usage: python3 send_tasks.py BROKER_URL QUEUE N

Sends N tasks `send_task('interop.add', args=[i, 1], queue=QUEUE)` with Celery's default
message options on one producer connection, then prints the seconds it took on stderr.
"""
import sys
import time

from celery import Celery


def main():
    broker, queue, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = Celery("bench_producer", broker=broker)
    app.conf.update(broker_connection_retry_on_startup=True)
    started = time.time()
    with app.producer_or_acquire() as producer:
        for i in range(n):
            app.send_task("interop.add", args=[i, 1], queue=queue, producer=producer)
    print(f"python producer: {n} tasks in {time.time() - started:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
