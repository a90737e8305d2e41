#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run): installs what the tests use,
# builds, and runs `swift test`. Extra arguments go to `swift test`, e.g.
#   scripts/test.sh --filter ParquetTests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- Python packages the tests use --------------------------------------------------------
# pyarrow + numpy: the canonical-JSON oracle (../shared/tools/parquet_jsonl.py) and
# scripts/make-fixtures.py. Tests that need them skip themselves when they are missing, so an
# offline pip is a warning, not a failure.
if command -v python3 >/dev/null 2>&1; then
    if ! python3 -c 'import pyarrow, numpy' >/dev/null 2>&1; then
        echo "test.sh: installing pyarrow numpy (pip, quiet)"
        python3 -m pip install --quiet --disable-pip-version-check pyarrow numpy \
            || echo "test.sh: warning: could not pip install pyarrow numpy; tests that need pyarrow will skip" >&2
    fi
else
    echo "test.sh: warning: python3 not found; tests that need pyarrow will skip" >&2
fi

# --- Services ------------------------------------------------------------------------------
# TODO(issue: PostgreSQL state store + S3 object store tests): start the servers here, on
# loopback only, and stop them with a trap. Not implemented yet. Roughly:
#
#   SERVICES_DIR=$(mktemp -d)
#   cleanup() {
#       pg_ctl -D "$SERVICES_DIR/pg" -m fast stop >/dev/null 2>&1 || true   # PostgreSQL
#       [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null || true      # moto_server (S3)
#       rm -rf "$SERVICES_DIR"
#   }
#   trap cleanup EXIT
#   # PostgreSQL: throwaway cluster on 127.0.0.1 (initdb/pg_ctl from Debian's postgresql)
#   initdb -D "$SERVICES_DIR/pg" -U postgres --auth=trust >/dev/null
#   pg_ctl -D "$SERVICES_DIR/pg" -o "-c listen_addresses=127.0.0.1 -p 55432 -k $SERVICES_DIR" -w start
#   export BACKFILL_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:55432/postgres"
#   # S3: moto_server (pip install 'moto[server]') on 127.0.0.1
#   moto_server -H 127.0.0.1 -p 55000 >"$SERVICES_DIR/moto.log" 2>&1 & MOTO_PID=$!
#   export BACKFILL_TEST_S3_ENDPOINT="http://127.0.0.1:55000"
#
# (initdb refuses to run as root: CI runs as root, so run it through a non-root user then.)
# -------------------------------------------------------------------------------------------

echo "test.sh: swift build"
swift build
echo "test.sh: swift test $*"
swift test "$@"
