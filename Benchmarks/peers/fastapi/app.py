"""FastAPI peer of the Eventide benchmarks: the same routes as
`eventide-example bench`, built on FastAPI's background-tasks tutorial.

Run from the work directory (log.txt and slow.txt are written to the current
directory, as in the tutorial):

    cd WORKDIR && uvicorn app:app --app-dir PEER_DIR --loop uvloop \
        --http httptools --no-access-log --log-level warning --port 8080

Background tasks are plain `def` functions, so Starlette runs them in its
thread pool after the response has been sent: the blocking `time.sleep` of
/slow does not stall the event loop. At most 1024 slow tasks may be pending
(the same cap as the other peers); beyond that /slow answers 503.
"""

import threading
import time

from fastapi import BackgroundTasks, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

app = FastAPI()

MAX_PENDING_TASKS = 1024
_pending_slow_tasks = 0
_pending_lock = threading.Lock()


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext():
    return "Hello, World!"


@app.get("/json")
async def json():
    return {"message": "Hello, World!"}


def write_notification(email: str, message=""):
    with open("log.txt", mode="a") as email_file:
        content = f"notification for {email}: {message}\n"
        email_file.write(content)


@app.post("/send-notification/{email}")
async def send_notification(email: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(write_notification, email, message="some notification")
    return {"message": "Notification sent in the background"}


def slow_task(ms: int):
    global _pending_slow_tasks
    try:
        time.sleep(ms / 1000)
        with open("slow.txt", mode="a") as log:
            log.write(f"slow task of {ms} ms done\n")
    finally:
        with _pending_lock:
            _pending_slow_tasks -= 1


@app.post("/slow/{ms}", status_code=202)
async def slow(ms: int, background_tasks: BackgroundTasks):
    global _pending_slow_tasks
    with _pending_lock:
        if _pending_slow_tasks >= MAX_PENDING_TASKS:
            return JSONResponse({"message": "task queue full"}, status_code=503)
        _pending_slow_tasks += 1
    background_tasks.add_task(slow_task, ms)
    return {"message": "accepted"}
