#!/usr/bin/env bash
# Benchmark `backfill profile` against DuckDB on the CountEvent dataset, one core each.
#
#   scripts/bench-parquet.sh [--duckdb-only] [--no-build] [--data DIR]
#
# Env: ROWS (default 10000000), RUNS (default 5), SEED (default 8).
#
# 1. makes sure pyarrow, duckdb and numpy are importable (pip installs them quietly if not)
# 2. swift build -c release --product backfill        (skipped with --duckdb-only or --no-build)
# 3. generates ROWS CountEvent rows into .bench/countevents (reused when _expected.json has the
#    same row count and seed; --data DIR uses another directory, generated the same way)
# 4. times, pinned to core 0 with taskset, RUNS runs each (after one untimed warm-up run) of
#      .build/release/backfill profile DIR --format json
#      DuckDB: SET threads=1; SELECT count(*), sum(count), sum(occurred_at_unix_ms % 1000),
#              sum(strlen(entity_id)) FROM read_parquet('DIR/**/*.parquet', hive_partitioning=false)
#    in a fresh python3 process per run; the query is timed inside Python (perf_counter) and the
#    whole process from outside.
# 5. checks our answers against DuckDB's (and both against _expected.json); exit 1 on a mismatch
# 6. prints the medians, the ratio ours/DuckDB and peak RSS
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-5}
SEED=${SEED:-8}
DATA=.bench/countevents
DUCKDB_ONLY=0
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --duckdb-only) DUCKDB_ONLY=1 ;;
        --no-build) BUILD=0 ;;
        --data) DATA=$2; shift ;;
        --data=*) DATA=${1#--data=} ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

# Pinning: taskset when it is there (util-linux), else unpinned with a warning.
if command -v taskset >/dev/null 2>&1; then
    PIN=(taskset -c 0)
else
    echo "warning: taskset not found; runs are not pinned to one core" >&2
    PIN=()
fi

# (a) Python packages
if ! python3 -c 'import pyarrow, duckdb, numpy' 2>/dev/null; then
    echo "installing pyarrow duckdb numpy (pip, quiet)"
    python3 -m pip install --quiet --disable-pip-version-check pyarrow duckdb numpy
fi

# (b) build
BIN=$ROOT/.build/release/backfill
if [ "$DUCKDB_ONLY" = 0 ]; then
    if [ "$BUILD" = 1 ]; then
        echo "building: swift build -c release --product backfill"
        swift build -c release --product backfill
    fi
    [ -x "$BIN" ] || { echo "error: $BIN not found (build it: swift build -c release --product backfill)" >&2; exit 1; }
fi

# (c) dataset
mkdir -p "$(dirname "$DATA")"
if python3 - "$DATA/_expected.json" "$ROWS" "$SEED" <<'EOF'
import json, sys
try:
    e = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(1)
sys.exit(0 if e.get("rows") == int(sys.argv[2]) and e.get("seed") == int(sys.argv[3]) else 1)
EOF
then
    echo "reusing $DATA ($ROWS rows)"
else
    echo "generating $ROWS rows into $DATA"
    python3 scripts/gen-countevents.py --out "$DATA" --rows "$ROWS" --seed "$SEED"
fi

# (d)-(f) time, check, report: one Python driver so timing and JSON handling are in one place.
# Env goes in front of python3: a heredoc script takes its arguments after `-`.
BENCH_PIN="${PIN[*]:-}" BENCH_BIN="$BIN" BENCH_DATA="$DATA" BENCH_RUNS="$RUNS" BENCH_DUCKDB_ONLY="$DUCKDB_ONLY" \
    python3 - <<'PYEOF'
import json, os, resource, shlex, statistics, subprocess, sys, time

pin = shlex.split(os.environ["BENCH_PIN"])
binary, data = os.environ["BENCH_BIN"], os.environ["BENCH_DATA"]
runs = int(os.environ["BENCH_RUNS"])
duckdb_only = os.environ["BENCH_DUCKDB_ONLY"] == "1"
expected = json.load(open(os.path.join(data, "_expected.json")))
glob = os.path.join(data, "**", "*.parquet").replace("'", "''")

TIMED_SQL = ("SELECT count(*), sum(count), sum(occurred_at_unix_ms % 1000), sum(strlen(entity_id)) "
             f"FROM read_parquet('{glob}', hive_partitioning=false)")
CHECK_SQL = ("SELECT count(*), sum(count), sum(occurred_at_unix_ms), sum(strlen(entity_id)), "
             f"sum(occurred_at_unix_ms % 1000) FROM read_parquet('{glob}', hive_partitioning=false)")

# Runs in its own python3 process per timed run; prints the in-process query time and the answer.
DUCK_CHILD = r'''
import json, sys, time
import duckdb
con = duckdb.connect()
con.execute("SET threads=1")
t0 = time.perf_counter()
row = con.execute(sys.argv[1]).fetchone()
t1 = time.perf_counter()
print(json.dumps({"query_s": t1 - t0, "row": [int(v) for v in row]}))
'''


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace"))
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}")
    return wall, p.stdout


def peak_rss_kb(cmd):
    """Peak RSS of one run: /usr/bin/time -v when present, else getrusage of a lone child."""
    if os.path.exists("/usr/bin/time"):
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for line in p.stderr.decode(errors="replace").splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1])
    # Fallback: a fresh python process whose only child is cmd (taskset execs it, so it's the same process).
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return int(subprocess.run([sys.executable, "-c", code] + cmd, stdout=subprocess.PIPE).stdout)


def fmt(s):
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.2f} s"


failures = []


def agree(what, ours, theirs):
    ok = ours == theirs
    print(f"  {'ok ' if ok else 'BAD'} {what}: {ours}" + ("" if ok else f" != {theirs}"))
    if not ok:
        failures.append(what)


# DuckDB: one warm-up, then RUNS fresh processes.
duck_cmd = pin + [sys.executable, "-c", DUCK_CHILD, TIMED_SQL]
timed(duck_cmd)
duck_query, duck_wall = [], []
for _ in range(runs):
    wall, out = timed(duck_cmd)
    r = json.loads(out)
    duck_query.append(r["query_s"])
    duck_wall.append(wall)
duck_row = r["row"]
check = json.loads(timed([sys.executable, "-c", DUCK_CHILD, CHECK_SQL])[1])["row"]
duck = {"rows": check[0], "sum_count": check[1], "sum_occurred_at_unix_ms": check[2],
        "sum_entity_id_bytes": check[3], "sum_occurred_at_unix_ms_mod_1000": check[4]}

print(f"\ndataset {data}: {expected['rows']} rows")
print("DuckDB vs _expected.json:")
for k in ("rows", "sum_count", "sum_occurred_at_unix_ms", "sum_occurred_at_unix_ms_mod_1000", "sum_entity_id_bytes"):
    agree(k, duck[k], expected[k])
agree("timed query's answer", duck_row, [duck["rows"], duck["sum_count"], duck["sum_occurred_at_unix_ms_mod_1000"],
                                          duck["sum_entity_id_bytes"]])

ours_wall = []
if not duckdb_only:
    ours_cmd = pin + [binary, "profile", data, "--format", "json"]
    timed(ours_cmd)
    for _ in range(runs):
        wall, out = timed(ours_cmd)
        ours_wall.append(wall)
    try:
        prof = json.loads(out)
        cols = {c["name"]: c for c in prof["columns"]}
        ours = {"rows": prof["rows"], "sum_count": cols["count"]["sum"],
                "sum_occurred_at_unix_ms": cols["occurred_at_unix_ms"]["sum"],
                "sum_entity_id_bytes": cols["entity_id"]["bytes"]}
    except (ValueError, KeyError, TypeError) as e:
        print(f"cannot read backfill's JSON ({type(e).__name__}: {e}):\n{out[:2000].decode(errors='replace')}")
        sys.exit(1)
    print("backfill profile vs DuckDB:")
    for k in ("rows", "sum_count", "sum_occurred_at_unix_ms", "sum_entity_id_bytes"):
        agree(k, ours[k], duck[k])

print(f"\n{runs} runs each, pinned: {' '.join(pin) or 'no'}; medians:")
dq, dw = statistics.median(duck_query), statistics.median(duck_wall)
print(f"  DuckDB query (in process):   {fmt(dq)}   (runs: {', '.join(fmt(x) for x in duck_query)})")
print(f"  DuckDB whole python3 process: {fmt(dw)}")
print(f"  DuckDB peak RSS (whole process): {peak_rss_kb(duck_cmd) / 1024:.0f} MiB")
if ours_wall:
    ow = statistics.median(ours_wall)
    print(f"  backfill profile (whole process): {fmt(ow)}   (runs: {', '.join(fmt(x) for x in ours_wall)})")
    print(f"  backfill peak RSS: {peak_rss_kb(ours_cmd) / 1024:.0f} MiB")
    print(f"  ratio ours/DuckDB: {ow / dq:.2f}x vs the query alone, {ow / dw:.2f}x vs DuckDB's whole process")
if failures:
    print(f"\nFAILED: answers disagree: {', '.join(failures)}")
    sys.exit(1)
print("\nanswers agree")
PYEOF
