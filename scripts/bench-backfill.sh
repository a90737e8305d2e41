#!/usr/bin/env bash
# Benchmark `backfill run` against DuckDB on the 10M-row CountEvent dataset of scripts/bench-parquet.sh.
#
#   scripts/bench-backfill.sh [--no-build] [--data DIR]
#
# Env: ROWS (default 10000000), RUNS (default 3), SEED (default 8).
#
# Both sides compute sum(count) per entity_id over hourly, daily and lifetime windows and write the result to
# their own database file, pinned to one core (taskset -c 0):
#   backfill: `backfill run` into a fresh SQLite store (--concurrency 1)
#   DuckDB:   SET threads=1; one GROUP BY GROUPING SETS scan, CREATE TABLE in a fresh database file
# then checks that bucket counts and sums agree per window, prints medians, the ratio and our peak RSS.
# Then the same with two workers / two threads on both cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
SEED=${SEED:-8}
DATA=.bench/countevents
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) BUILD=0 ;;
        --data) DATA=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
python3 -c 'import pyarrow, duckdb, numpy' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyarrow duckdb numpy
BIN=$ROOT/.build/release/backfill
if [ "$BUILD" = 1 ]; then swift build -c release --product backfill; fi
if [ ! -f "$DATA/_expected.json" ] || ! grep -q "\"rows\": $ROWS," "$DATA/_expected.json"; then
    echo "generating $ROWS rows into $DATA"
    rm -rf "$DATA"
    python3 scripts/gen-countevents.py --out "$DATA" --rows "$ROWS" --seed "$SEED"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BENCH_BIN="$BIN" BENCH_DATA="$(cd "$DATA" && pwd)" BENCH_RUNS="$RUNS" BENCH_WORK="$WORK" python3 - <<'PYEOF'
import json, os, statistics, subprocess, sys, time

binary, data, runs, work = os.environ["BENCH_BIN"], os.environ["BENCH_DATA"], int(os.environ["BENCH_RUNS"]), os.environ["BENCH_WORK"]
glob = os.path.join(data, "**", "*.parquet").replace("'", "''")
DUCK = r'''
import duckdb, json, os, sys, time
path, threads, glob = sys.argv[1], sys.argv[2], sys.argv[3]
for suffix in ("", ".wal"):
    if os.path.exists(path + suffix): os.remove(path + suffix)
t0 = time.perf_counter()
con = duckdb.connect(path)
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
con.execute(f"""
CREATE TABLE agg AS
SELECT entity_id AS key,
       CASE WHEN GROUPING(h) = 0 THEN 'hourly' WHEN GROUPING(d) = 0 THEN 'daily' ELSE 'lifetime' END AS win,
       coalesce(h, d, 0) AS bucket, sum(count) AS value
FROM (SELECT entity_id, count, occurred_at_unix_ms // 3600000 AS h, occurred_at_unix_ms // 86400000 AS d
      FROM read_parquet('{glob}', hive_partitioning=false))
GROUP BY GROUPING SETS ((entity_id, h), (entity_id, d), (entity_id))""")
con.close()
t1 = time.perf_counter()
con = duckdb.connect(path, read_only=True)
rows = con.execute("SELECT win, count(*), sum(value) FROM agg GROUP BY win ORDER BY win").fetchall()
print(json.dumps({"seconds": t1 - t0, "windows": {w: [int(n), int(s)] for w, n, s in rows}}))
'''

def config(store):
    path = os.path.join(work, "job.yaml")
    with open(path, "w") as f:
        f.write(f"""source: {data}
event_time: occurred_at_unix_ms
store: sqlite:{store}
pipelines:
  - {{name: counts, key: "{{entity_id}}", value: count, monoid: sum, windows: [hourly, daily, lifetime]}}
""")
    return path

def ours(pin, concurrency):
    store = os.path.join(work, "ours.sqlite")
    for s in ("", "-wal", "-shm"):
        if os.path.exists(store + s): os.remove(store + s)
    cmd = pin + ["/usr/bin/time", "-f", "%M", binary, "run", config(store), "--quiet", "--concurrency", str(concurrency), "--format", "json"]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"backfill run failed: {p.stderr.decode(errors='replace')}")
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return wall, rss, store

def our_windows(store):
    result = {}
    for w in ("daily", "hourly", "lifetime"):
        out = subprocess.run([binary, "query", "--store", "sqlite:" + store, "--pipeline", "counts", "--window", w, "--format", "jsonl"],
                             stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
        result[w] = [len(out), sum(json.loads(l)["value"] for l in out)]
    return result

def duck(pin, threads):
    p = subprocess.run(pin + [sys.executable, "-c", DUCK, os.path.join(work, "duck.db"), str(threads), glob], stdout=subprocess.PIPE, check=True)
    return json.loads(p.stdout)

failed = False
for label, pin, n in (("one core (taskset -c 0), 1 worker / 1 thread", ["taskset", "-c", "0"], 1), ("both cores, 2 workers / 2 threads", [], 2)):
    duck(pin, n)  # warm-up
    d = [duck(pin, n) for _ in range(runs)]
    o = [ours(pin, n) for _ in range(runs)]
    dm = statistics.median(x["seconds"] for x in d)
    om = statistics.median(x[0] for x in o)
    theirs, mine = d[-1]["windows"], our_windows(o[-1][2])
    ok = theirs == mine
    failed |= not ok
    print(f"{label}: backfill run {om:.2f} s (runs {', '.join(f'{x[0]:.2f}' for x in o)}), "
          f"DuckDB {dm:.2f} s (runs {', '.join('%.2f' % x['seconds'] for x in d)}), ratio {om / dm:.2f}, "
          f"backfill peak RSS {max(x[1] for x in o) / 1024:.0f} MiB; buckets and sums per window "
          f"{'agree' if ok else 'DIFFER'}: {mine}" + ("" if ok else f" vs DuckDB {theirs}"))
sys.exit(1 if failed else 0)
PYEOF
