"""procrastinate side of the FastAPI + procrastinate peer: the app, its connector and the task.

Environment (set by Benchmarks/postgres.py):
- PROCRASTINATE_DSN: the PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/bench
- NOTIFICATION_LOG: the file the task appends to (WORKDIR/log.txt)
- PROCRASTINATE_POOL_SIZE: connections of this process's pool (psycopg_pool's min_size and
  max_size; default 4, psycopg_pool's own default)

The task is what the Eventide example's durable task does: append one line. It is an
`async def`, so the worker runs it on its event loop (a plain `def` would go through a
thread); the append itself is a few microseconds of blocking I/O, as in Eventide.

    procrastinate --app tasks.app schema --apply          # once per database
    procrastinate --app tasks.app worker --concurrency 8  # PYTHONPATH=PEER_DIR
"""

import os

import procrastinate

DSN = os.environ.get("PROCRASTINATE_DSN", "postgres://postgres@127.0.0.1:5432/postgres")
LOG = os.environ.get("NOTIFICATION_LOG", "log.txt")
POOL_SIZE = int(os.environ.get("PROCRASTINATE_POOL_SIZE", "4"))

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=DSN, min_size=POOL_SIZE, max_size=POOL_SIZE),
)


@app.task(name="write_notification", queue="default")
async def write_notification(email: str, message: str = "some notification") -> None:
    with open(LOG, mode="a") as email_file:
        email_file.write(f"notification for {email}: {message}\n")
