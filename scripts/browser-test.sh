#!/usr/bin/env bash
# The task dashboard in a real browser (Tests/browser/dashboard_test.py): Debian's headless
# chromium driven by Selenium through chromium-driver, against `eventide-example durable
# --dashboard-token`. `make test` runs it after the Swift suite.
#
#   scripts/browser-test.sh [--screenshot PATH]   (default: .build/browser/dashboard.png)
#
# The README's screenshot is refreshed on purpose, not by every test run:
#   scripts/browser-test.sh --screenshot Documentation/images/dashboard.png
#
# Installs chromium and chromium-driver (and python3-venv) with apt when missing, makes
# the virtual environment .venv-ci/ (git-ignored) with Selenium from PyPI, builds the
# example in debug mode (a no-op after `swift build`). Exit status: the test's.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "browser-test: installing chromium and chromium-driver with apt"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "browser-test: installing python3-venv with apt"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
fi
venv=.venv-ci
if [ ! -x "$venv/bin/python" ]; then "$python" -m venv "$venv"; fi
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check selenium
fi

swift build --product eventide-example
exec "$venv/bin/python" Tests/browser/dashboard_test.py --binary .build/debug/eventide-example "$@"
