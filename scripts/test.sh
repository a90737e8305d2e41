#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run): installs what the tests use,
# builds, and runs `swift test`. Extra arguments go to `swift test`, e.g.
#   scripts/test.sh --filter ParquetTests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- Python packages the tests use --------------------------------------------------------
# pyarrow + numpy: the canonical-JSON oracle; duckdb: the answers the replace tests compare with; (../shared/tools/parquet_jsonl.py) and
# scripts/make-fixtures.py. Tests that need them skip themselves when they are missing, so an
# offline pip is a warning, not a failure.
if command -v python3 >/dev/null 2>&1; then
    if ! python3 -c 'import pyarrow, numpy, duckdb' >/dev/null 2>&1; then
        echo "test.sh: installing pyarrow numpy duckdb (pip, quiet)"
        python3 -m pip install --quiet --disable-pip-version-check pyarrow numpy duckdb \
            || echo "test.sh: warning: could not pip install pyarrow numpy duckdb; tests that need them will skip" >&2
    fi
else
    echo "test.sh: warning: python3 not found; tests that need pyarrow will skip" >&2
fi

# --- PostgreSQL ---------------------------------------------------------------------------
# A throwaway cluster from Debian's PostgreSQL 15 for the PostgreSQL state store tests: 127.0.0.1 on a free port,
# trust auth, its own database; stopped and removed on exit. initdb refuses root, so as root the cluster runs as
# the `postgres` user in a directory that user owns. Without PostgreSQL the tests that need it skip.
# Set BACKFILL_TEST_POSTGRES_URL yourself to test against another server instead.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
pg_cleanup() {
    if [ -n "$PG_DIR" ]; then
        pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ -n "${BACKFILL_TEST_POSTGRES_URL:-}" ]; then
    echo "test.sh: PostgreSQL: using BACKFILL_TEST_POSTGRES_URL from the environment"
elif [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    echo "test.sh: PostgreSQL: $PG_BIN/initdb not found (apt-get install postgresql-15); PostgreSQL tests will skip" >&2
elif [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "test.sh: PostgreSQL: running as root and there is no postgres user to run initdb as; PostgreSQL tests will skip" >&2
else
    PG_DIR=$(mktemp -d /tmp/backfill-pg.XXXXXX)
    trap pg_cleanup EXIT
    chmod 755 "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000)))
    if pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
        && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
        && pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE backfill_test" >/dev/null; then
        export BACKFILL_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/backfill_test?sslmode=disable"
        echo "test.sh: PostgreSQL: throwaway cluster at $BACKFILL_TEST_POSTGRES_URL"
    else
        echo "test.sh: PostgreSQL: could not start a throwaway cluster; PostgreSQL tests will skip" >&2
        cat "$PG_DIR/initdb.log" "$PG_DIR/server.log" 2>/dev/null | tail -20 >&2 || true
    fi
fi
# --- end PostgreSQL -----------------------------------------------------------------------

# --- moto_server (S3, DynamoDB) ---
# A throwaway moto_server on a free loopback port with IAM authentication ON, so requests must carry
# valid SigV4 signatures: it starts with INITIAL_NO_AUTH_ACTION_COUNT=3, boto3 spends those three
# unauthenticated calls creating an IAM user, its policy (s3:*, dynamodb:*) and an access key, and
# /moto-api/reset-auth then switches checking on for everything after. Exports
# BACKFILL_TEST_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY (tests skip themselves without them) and
# stops the server on exit. Set BACKFILL_TEST_S3_ENDPOINT yourself to use another server instead.
moto_stop() {
    if [ -n "${MOTO_PID:-}" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
        MOTO_PID=""
    fi
    if [ -n "${MOTO_DIR:-}" ]; then rm -rf "$MOTO_DIR"; fi
}
moto_chain_exit_trap() {   # runs moto_stop before whatever EXIT trap is already set
    local previous=""
    eval "set -- $(trap -p EXIT)"
    previous="${3:-}"
    trap "moto_stop${previous:+; $previous}" EXIT
}
# moto is pinned (the version these tests were last run against), in a virtualenv of its own under .build/,
# and started through scripts/moto_server.py, which stops moto from keeping every DynamoDB item it ever
# deep-copies (since 5.1.16 each TransactWriteItems backup stays alive: 14 GB after 60 transactions of 99
# updates, measured; moto_server was OOM-killed mid-suite). Override the version with BACKFILL_MOTO_VERSION.
MOTO_VERSION="${BACKFILL_MOTO_VERSION:-5.2.1}"
moto_start() {
    command -v python3 >/dev/null 2>&1 || { echo "test.sh: warning: no python3; S3 server tests will skip" >&2; return 0; }
    local venv="$PWD/.build/moto-venv-$MOTO_VERSION"
    if ! "$venv/bin/python" -c 'import moto.server, boto3, flask' >/dev/null 2>&1; then
        echo "test.sh: installing moto[server]==$MOTO_VERSION boto3 into $venv (pip, quiet)"
        mkdir -p "$PWD/.build"
        { python3 -m venv "$venv" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" boto3; } \
            || { echo "test.sh: warning: could not install moto[server]==$MOTO_VERSION boto3; S3 server tests will skip" >&2; return 0; }
    fi
    MOTO_PY="$venv/bin/python"
    MOTO_DIR=$(mktemp -d)
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO_PY" "$PWD/scripts/moto_server.py" -H 127.0.0.1 -p "$port" \
        >"$MOTO_DIR/moto.log" 2>&1 &
    MOTO_PID=$!
    moto_chain_exit_trap
    local credentials
    if ! credentials=$(MOTO_ENDPOINT="http://127.0.0.1:$port" "$MOTO_PY" - <<'PY'
import json, os, socket, sys, time, urllib.request
import boto3
endpoint = os.environ["MOTO_ENDPOINT"]
host, port = endpoint.rsplit("/", 1)[1].split(":")
deadline = time.time() + 30
while True:   # wait for the port without spending an unauthenticated action
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("moto_server did not start listening within 30 s")
        time.sleep(0.2)
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="backfill-test")
iam.put_user_policy(UserName="backfill-test", PolicyName="backfill-test", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}]}))
key = iam.create_access_key(UserName="backfill-test")["AccessKey"]
# From here on every request is authenticated and signature-checked.
urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                              headers={"Content-Type": "text/plain"}), timeout=10).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
    ); then
        echo "test.sh: warning: moto_server setup failed; S3 server tests will skip. Log:" >&2
        cat "$MOTO_DIR/moto.log" >&2 || true
        moto_stop
        return 0
    fi
    export BACKFILL_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export BACKFILL_TEST_S3_ACCESS_KEY="${credentials%% *}"
    export BACKFILL_TEST_S3_SECRET_KEY="${credentials#* }"
    echo "test.sh: moto_server on $BACKFILL_TEST_S3_ENDPOINT (pid $MOTO_PID, IAM auth on)"
}
if [ -z "${BACKFILL_TEST_S3_ENDPOINT:-}" ]; then moto_start; fi
# --- end moto_server ---

echo "test.sh: swift build"
swift build
echo "test.sh: swift test $*"
swift test "$@"
