"""FastAPI + procrastinate peer of Eventide's PostgreSQL store (Benchmarks/postgres.py).

`POST /durable-notification/{email}` defers the procrastinate task `write_notification`
with `await write_notification.defer_async(email=email)` (one INSERT into
procrastinate_jobs, committed, whose trigger NOTIFYs the workers) and answers
`200 {"message": "Notification queued"}`; a separate `procrastinate worker` appends
`notification for {email}: some notification` to the work directory's log.txt.

The app is opened for the server's lifetime in FastAPI's lifespan (`open_async`, as
procrastinate's docs do for an async program), so requests share its connection pool.

    PROCRASTINATE_DSN=postgres://... NOTIFICATION_LOG=WORKDIR/log.txt \
        uvicorn app:app --app-dir PEER_DIR --loop uvloop --http httptools \
        --no-access-log --log-level warning --port 8080
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from tasks import app as procrastinate_app
from tasks import write_notification


@asynccontextmanager
async def lifespan(_: FastAPI):
    async with procrastinate_app.open_async():
        yield


app = FastAPI(lifespan=lifespan)


@app.post("/durable-notification/{email}")
async def durable_notification(email: str):
    await write_notification.defer_async(email=email)
    return {"message": "Notification queued"}
