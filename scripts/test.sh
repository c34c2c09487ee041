#!/usr/bin/env bash
# The one test command (README). Runs every Go test on SQLite; the
# PostgreSQL variants too when FENGQIAO_TEST_POSTGRES holds a URL, and the
# browser tests when Debian's chromium is installed. Extra arguments go to
# `go test` (e.g. -run TestName).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FENGQIAO_TEST_POSTGRES:-}" ]; then
  echo "NOTE: FENGQIAO_TEST_POSTGRES is not set: PostgreSQL variants of the tests are SKIPPED."
  echo "      e.g. FENGQIAO_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/fengqiao_test?sslmode=disable'"
else
  echo "PostgreSQL tests: on"
fi
if ! command -v chromium >/dev/null 2>&1 && [ -z "${FENGQIAO_CHROMIUM:-}" ]; then
  echo "NOTE: chromium not found: browser tests are SKIPPED (apt-get install chromium fonts-noto-cjk)."
fi

go vet ./...
go test -count=1 "$@" ./...
