"""FastAPI + Celery peer of Eventide's durable tasks (Benchmarks/durable.py).

`POST /durable-notification/{email}` queues the Celery task `write_notification` with
`.delay(email)` (a Redis LPUSH through kombu) and answers
`200 {"message": "Notification queued"}`; a separate Celery worker appends
`notification for {email}: some notification` to the work directory's log.txt.

The endpoint is a plain `def`, as FastAPI's docs ask for a library that blocks (redis-py
here): Starlette runs it in its thread pool. `POST /durable-notification-async/{email}` is
the same as `async def`, where `.delay()` blocks the event loop for its Redis round trip
(a pattern seen in the wild; measured as the `celery-async` row).

    CELERY_BROKER_URL=redis://127.0.0.1:P/0 NOTIFICATION_LOG=WORKDIR/log.txt \
        uvicorn app:app --app-dir PEER_DIR --loop uvloop --http httptools \
        --no-access-log --log-level warning --port 8080
    CELERY_BROKER_URL=... NOTIFICATION_LOG=... celery -A tasks worker --loglevel warning

(`celery` needs PEER_DIR on PYTHONPATH or as its working directory.)
"""

from fastapi import FastAPI

from tasks import write_notification

app = FastAPI()


@app.post("/durable-notification/{email}")
def durable_notification(email: str):
    write_notification.delay(email)
    return {"message": "Notification queued"}


@app.post("/durable-notification-async/{email}")
async def durable_notification_async(email: str):
    write_notification.delay(email)
    return {"message": "Notification queued"}
