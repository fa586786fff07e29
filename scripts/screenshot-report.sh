#!/usr/bin/env bash
# Takes a headless-Chromium screenshot of a report page so a person (or a review) can look at it as a PNG.
# Usage: scripts/screenshot-report.sh [page.html] [out.png] [height]
#   default page: reports/latest/index.html; Allure: scripts/screenshot-report.sh reports/allure/index.html
# Needs Debian's chromium (apt-get install -y chromium). Background networking is off: the page is local.
set -euo pipefail
page="${1:-reports/latest/index.html}"
out="${2:-${page%.html}.png}"
height="${3:-3000}"
[ -f "$page" ] || { echo "No page at $page: run mvn sdsat:reproduce (or mvn install for the Allure report) first" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --virtual-time-budget=10000 \
  --window-size=1280,"$height" --screenshot="$(realpath -m "$out")" "file://$(realpath "$page")" 2>/dev/null
echo "$out"
