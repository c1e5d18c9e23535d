"""Python producer of `npm run bench` (the drain-py scenario): what a Python service sends.

usage: python3 send_tasks.py BROKER_URL QUEUE N

Sends N tasks `send_task('interop.add', args=[i, 1], queue=QUEUE)` with Celery's default
message options on one producer connection, closes it (so the broker has read every
publish), then prints the seconds it took on stderr.
"""
import sys
import time

from celery import Celery


def main():
    broker, queue, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = Celery("bench_producer", broker=broker)
    app.conf.update(broker_connection_retry_on_startup=True)
    started = time.time()
    with app.connection_for_write() as connection:
        producer = connection.Producer()
        for i in range(n):
            app.send_task("interop.add", args=[i, 1], queue=queue, producer=producer)
    # Leaving the block closes the connection and waits for the broker's close-ok, which
    # comes after every publish sent before it: exiting without that handshake lost up to
    # about 150 of 20,000 messages on a loaded host (the socket was reset with publishes
    # the broker had not read yet).
    print(f"python producer: {n} tasks in {time.time() - started:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
