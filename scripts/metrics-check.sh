#!/usr/bin/env bash
# Issue 17 section 4: the example's GET /metrics checked by Prometheus' own tools.
# `promtool check metrics` lints the text format (help texts, counter suffixes, units),
# then a real Prometheus scrapes a live `eventide-example bench --metrics` and must see
# the requests made. Installs Debian's `prometheus` (promtool and the server) when missing.
# Usage: scripts/metrics-check.sh [path/to/eventide-example] (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    echo "promtool or prometheus not found: installing Debian's prometheus with apt"
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
exec python3 scripts/metrics_check.py "${1:-.build/debug/eventide-example}"
