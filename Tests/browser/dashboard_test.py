#!/usr/bin/env python3
"""The task dashboard in a real browser (issue 17, section 5).

Starts `eventide-example durable --dashboard-token TOKEN` in a scratch directory with its
mail server "down" (the file mail-server-down), signs up two addresses (one of them a
`<script>`), waits until both tasks are discarded, then in headless chromium:

1. without the token /admin/tasks shows nothing (404);
2. with ?token= the page shows the counts, and the `<script>` argument as text (no alert);
3. with the mail server back, Retry on a discarded task makes it run: its page, refreshed
   by the dashboard's own script, reaches `completed`;
4. the overview's counts follow; a screenshot is saved;
5. a fresh browser (no cookie) sees nothing again.

Run by scripts/browser-test.sh (which installs chromium, chromium-driver and Selenium).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TOKEN = "browser-test-token-" + os.urandom(8).hex()
SCRIPT_ADDRESS = "<script>alert('pwned')</script>@example.com"
BOUNCE_ADDRESS = "bounce@example.com"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(base, method, path):
    """(status, body text) of one request, errors included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, method=method), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def signup(base, address):
    status, body = request(base, "POST", "/signup/" + urllib.parse.quote(address, safe=""))
    assert status == 202, f"signup of {address}: {status} {body}"
    return int(json.loads(body)["task"].rsplit("/", 1)[1])


def task_state(base, task_id):
    status, body = request(base, "GET", f"/tasks/{task_id}")
    assert status == 200, f"GET /tasks/{task_id}: {status} {body}"
    return json.loads(body)["state"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def assert_nothing_shown(driver, base):
    driver.get(base + "/admin/tasks")
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "404" in body, f"expected a 404 page without the token, got: {body[:200]!r}"
    assert not driver.find_elements(By.ID, "counts"), "the counts are shown without the token"
    assert "Durable" not in body and "discarded" not in body, f"task data shown without the token: {body[:200]!r}"


def assert_no_alert(driver):
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    raise AssertionError(f"a task argument ran as script: alert {text!r}")


def assert_no_csp_violation(driver):
    for entry in driver.get_log("browser"):
        if "Content Security Policy" in entry.get("message", ""):
            raise AssertionError(f"the page broke its own Content-Security-Policy: {entry['message']}")


def run(binary, screenshot):
    workdir = tempfile.mkdtemp(prefix="eventide-browser-")
    down = os.path.join(workdir, "mail-server-down")
    open(down, "w").close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen(
        [binary, "durable", "--port", str(port), "--workdir", workdir, "--dashboard-token", TOKEN, "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT)
    driver = None
    try:
        wait_for("the server", lambda: _answers(base), 30)
        script_task = signup(base, SCRIPT_ADDRESS)
        bounce_task = signup(base, BOUNCE_ADDRESS)
        # Five attempts, 1 + 2 + 3 + 4 s apart: about 10 s.
        for task_id in (script_task, bounce_task):
            wait_for(f"task {task_id} discarded", lambda: task_state(base, task_id) == "discarded", 60)
        print(f"tasks {script_task} and {bounce_task} discarded")

        driver = browser()
        assert_nothing_shown(driver, base)
        print("without the token: 404, nothing shown")

        driver.get(base + "/admin/tasks?token=" + urllib.parse.quote(TOKEN))
        assert driver.current_url == base + "/admin/tasks", f"the token stayed in the address: {driver.current_url}"
        assert driver.find_element(By.ID, "count-discarded").text == "2", driver.find_element(By.ID, "counts").text
        assert driver.find_element(By.ID, "count-completed").text == "0"
        arguments = driver.find_element(By.CSS_SELECTOR, f"#task-{script_task} code").text
        # The arguments as stored: JSON, whose encoder writes "/" as "\/".
        assert "<script>alert('pwned')<\\/script>" in arguments, f"the argument is not shown as text: {arguments!r}"
        assert_no_alert(driver)
        print("with the token: counts shown, the <script> argument shown as text")

        os.remove(down)
        driver.find_element(By.CSS_SELECTOR, f"#task-{script_task} button[data-action=retry]").click()
        # The form's POST answers 303 to the task's page.
        WebDriverWait(driver, 10).until(lambda d: d.current_url == f"{base}/admin/tasks/tasks/{script_task}")
        # The page was rendered once; its script refreshes it until the run is recorded.
        WebDriverWait(driver, 30, poll_frequency=0.2).until(
            lambda d: d.find_element(By.ID, "task-state").text == "completed")
        assert task_state(base, script_task) == "completed"
        with open(os.path.join(workdir, "mail.txt")) as outbox:
            assert SCRIPT_ADDRESS in outbox.read(), "the retried task did not send its mail"
        print(f"retry pressed: task {script_task} ran and the page showed it completed")

        driver.get(base + "/admin/tasks")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "count-completed").text == "1")
        assert driver.find_element(By.ID, "count-discarded").text == "1"
        assert_no_alert(driver)
        assert_no_csp_violation(driver)
        if screenshot:
            os.makedirs(os.path.dirname(screenshot) or ".", exist_ok=True)
            driver.save_screenshot(screenshot)
            print(f"screenshot: {screenshot}")
        driver.quit()

        driver = browser()
        assert_nothing_shown(driver, base)
        print("a fresh browser without the token: 404 again")
    finally:
        if driver is not None:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if sys.exc_info()[0] is not None:
            with open(os.path.join(workdir, "server.log")) as server_log:
                print("server log:\n" + server_log.read()[-4000:], file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


def _answers(base):
    try:
        return request(base, "GET", "/admin/tasks")[0] == 404
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/debug/eventide-example")
    parser.add_argument("--screenshot", default=".build/browser/dashboard.png",
                        help="where to save the page's screenshot (the README's: Documentation/images/dashboard.png)")
    arguments = parser.parse_args()
    run(arguments.binary, arguments.screenshot)
    print("browser test passed")


if __name__ == "__main__":
    main()
