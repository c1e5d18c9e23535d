"""django-celery-beat on the local PostgreSQL (a schema of the test's own) or, with
DJANGO_BEAT_DB=mariadb, on the local MariaDB (a database of the test's own).

Usage: python3 django_beat.py SCHEMA COMMAND [JSON]   (SCHEMA: the database on MariaDB)
  migrate                   create the schema and django-celery-beat's tables in it
  interval {name, task, every, period, args?, kwargs?, queue?, enabled?, one_off?}
  crontab  {name, task, minute, hour, day_of_week, day_of_month, month_of_year, timezone}
  solar    {name, task}
  update   {name, ...fields of PeriodicTask}   (a save() through the ORM: bumps the marker)
  delete   {name}
  drop                      drop the schema
  read     {name}           print the row's last_run_at (ISO, as the ORM reads it), count, enabled
  clocked  {name, task, clocked_time (ISO), ...}   a row on a ClockedSchedule
  bind     {broker, exchange, routing_key, queue}  declare queue bound to a direct exchange (kombu)
  take     {broker, queue}  print the next message of queue (kombu, up to 20 s): its
                            delivery_info, headers, priority, and the repr of each argument,
                            as a Python consumer reads it
  celery-send {broker, name, default_queue}  publish the row as Celery's beat does (its
                            DatabaseScheduler entry through Scheduler.apply_async)
Edits go through Django's ORM, as Django admin makes them.
"""
import json
import os
import sys

import django
from django.conf import settings

schema, command = sys.argv[1], sys.argv[2]
data = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
MARIADB = os.environ.get('DJANGO_BEAT_DB', 'postgresql') == 'mariadb'
if MARIADB:
    import MySQLdb
    if command in ('migrate', 'drop'):
        server = MySQLdb.connect(host='127.0.0.1', port=3306, user='root', passwd='')
        verb = 'CREATE DATABASE IF NOT EXISTS' if command == 'migrate' else 'DROP DATABASE IF EXISTS'
        server.cursor().execute(f'{verb} `{schema}`')
        server.close()
        if command == 'drop':
            sys.exit(0)
    DATABASE = {'ENGINE': 'django.db.backends.mysql', 'NAME': schema, 'USER': 'root',
                'PASSWORD': '', 'HOST': '127.0.0.1', 'PORT': 3306}
else:
    DATABASE = {
        'ENGINE': 'django.db.backends.postgresql', 'NAME': 'test', 'USER': 'postgres',
        'HOST': '127.0.0.1', 'PORT': 5432, 'OPTIONS': {'options': f'-c search_path={schema}'},
    }
settings.configure(
    INSTALLED_APPS=['django_celery_beat', 'django.contrib.contenttypes'],
    DATABASES={'default': DATABASE},
    USE_TZ=True, TIME_ZONE='UTC',
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_celery_beat.models import (  # noqa: E402
    CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule,
)

FIELDS = ('args', 'kwargs', 'headers')


def task_fields(d):
    out = {k: v for k, v in d.items() if k not in ('every', 'period', 'minute', 'hour',
                                                    'day_of_week', 'day_of_month',
                                                    'month_of_year', 'timezone')}
    for key in FIELDS:
        if key in out and not isinstance(out[key], str):
            out[key] = json.dumps(out[key])
    return out


if command == 'migrate':
    if not MARIADB:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    call_command('migrate', 'django_celery_beat', verbosity=0)
elif command == 'drop':
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
elif command == 'interval':
    every, _ = IntervalSchedule.objects.get_or_create(every=data['every'], period=data['period'])
    PeriodicTask.objects.create(interval=every, **task_fields(data))
elif command == 'crontab':
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute=data['minute'], hour=data['hour'], day_of_week=data['day_of_week'],
        day_of_month=data['day_of_month'], month_of_year=data['month_of_year'],
        timezone=data['timezone'])
    PeriodicTask.objects.create(crontab=cron, **task_fields(data))
elif command == 'solar':
    solar, _ = SolarSchedule.objects.get_or_create(event='sunset', latitude=52.5, longitude=13.4)
    PeriodicTask.objects.create(solar=solar, **task_fields(data))
elif command == 'update':
    task = PeriodicTask.objects.get(name=data.pop('name'))
    for key, value in task_fields(data).items():
        setattr(task, key, value)
    task.save()
elif command == 'read':
    task = PeriodicTask.objects.get(name=data['name'])
    last = task.last_run_at.isoformat() if task.last_run_at else None
    print(json.dumps({'last_run_at': last, 'total_run_count': task.total_run_count,
                      'enabled': task.enabled}))
elif command == 'clocked':
    from django_celery_beat.models import ClockedSchedule
    clock, _ = ClockedSchedule.objects.get_or_create(clocked_time=data['clocked_time'])
    PeriodicTask.objects.create(clocked=clock, **task_fields(
        {k: v for k, v in data.items() if k != 'clocked_time'}))
elif command == 'bind':
    from kombu import Connection, Exchange, Queue
    with Connection(data['broker']) as conn:
        exchange = Exchange(data['exchange'], type='direct')
        Queue(data['queue'], exchange, data['routing_key'])(conn.default_channel).declare()
elif command == 'take':
    import time
    from kombu import Connection, Queue
    with Connection(data['broker']) as conn:
        queue = Queue(data['queue'], no_declare=True)(conn.default_channel)
        deadline = time.monotonic() + 20
        message = queue.get(no_ack=True)
        while message is None and time.monotonic() < deadline:
            time.sleep(0.1)
            message = queue.get(no_ack=True)
        if message is None:
            sys.exit(f'no message on {data["queue"]}')
        info = message.delivery_info
        body = message.decode()
        args, kwargs = (body[0], body[1]) if isinstance(body, list) else (None, None)
        print(json.dumps({
            'exchange': info.get('exchange'), 'routing_key': info.get('routing_key'),
            'headers': message.headers, 'priority': message.properties.get('priority'),
            # repr: an int of any size exactly as the Python worker's task would get it
            'args': [repr(a) for a in args or []],
            'kwargs': {k: repr(v) for k, v in (kwargs or {}).items()},
        }, default=str))
elif command == 'celery-send':
    from celery import Celery
    from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry
    app = Celery('djbeat', broker=data['broker'])
    app.conf.task_default_queue = data['default_queue']
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entry = ModelEntry(PeriodicTask.objects.get(name=data['name']), app=app)
    with app.producer_or_acquire() as producer:
        scheduler.apply_async(entry, producer=producer, advance=False)
elif command == 'delete':
    PeriodicTask.objects.get(name=data['name']).delete()
else:
    sys.exit(f'unknown command {command}')
