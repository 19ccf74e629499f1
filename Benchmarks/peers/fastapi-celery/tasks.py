"""Celery side of the FastAPI + Celery peer: the notification task and its settings.

Environment (set by Benchmarks/durable.py):
- CELERY_BROKER_URL: the Redis broker, e.g. redis://127.0.0.1:6380/0
- NOTIFICATION_LOG: the file the task appends to (WORKDIR/log.txt)
- CELERY_RELIABLE: "1" (default) for the reliability settings of Celery's docs,
  task_acks_late=True and worker_prefetch_multiplier=1 (a message is acknowledged once
  the task has run, and a worker holds one unacknowledged message per process); "0" for
  Celery's defaults (acknowledged when the worker takes it, prefetch multiplier 4)
- CELERY_READY_FILE: touched when the worker is ready to consume (the harness waits for it)

The task is what the Eventide example's durable task does: append one line.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
LOG = os.environ.get("NOTIFICATION_LOG", "log.txt")
RELIABLE = os.environ.get("CELERY_RELIABLE", "1") == "1"

celery = Celery("tasks", broker=BROKER)
celery.conf.update(
    task_ignore_result=True,  # no result backend: the answer is "queued", as Eventide's
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
if RELIABLE:
    celery.conf.update(task_acks_late=True, worker_prefetch_multiplier=1)


@celery.task(name="write_notification")
def write_notification(email: str, message: str = "some notification") -> None:
    with open(LOG, mode="a") as email_file:
        email_file.write(f"notification for {email}: {message}\n")


@worker_ready.connect
def _ready(**_):
    ready = os.environ.get("CELERY_READY_FILE")
    if ready:
        Path(ready).touch()
