#!/usr/bin/env bash
# Run every test: installs what the tests need (pip requirements, Debian chromium), then pytest.
#   bash scripts/test.sh            # everything: core, pages (AppTest), browser (Playwright)
#   bash scripts/test.sh -k vanish  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# --retries 1: the CPU wheel index in requirements.txt may be unreachable on closed networks;
# fail over to the other indexes quickly instead of backing off for minutes.
"$PY" -m pip install --quiet --retries 1 -r requirements-dev.txt

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

exec "$PY" -m pytest -n 2 --dist loadgroup "$@"
