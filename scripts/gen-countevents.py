#!/usr/bin/env python3
"""Write the CountEvent benchmark dataset: Parquet laid out the way Spark writes it.

Rows (a Spark CountEvent):
  entity_id            string   ~100k distinct ids, Zipf-like popularity, mostly ASCII
                                ("page-00a3f1c2b7", "video-…", a few "café-…" with a 2-byte char)
  count                int64    1..10, small values most often
  occurred_at_unix_ms  int64    uniform over 2026-05-08T00:00Z .. 2026-05-10T00:00Z (two days)

Layout (Hive-partitioned by UTC hour, unpadded values, like Spark's partitionBy):
  OUT/_SUCCESS, OUT/._SUCCESS.crc
  OUT/year=2026/month=5/day=8/hour=17/part-00003-<job uuid>.c000.snappy.parquet
  OUT/year=2026/month=5/day=8/hour=17/.part-00003-<job uuid>.c000.snappy.parquet.crc
Several part files per hour (one per simulated task), SNAPPY, data page v1, dictionary on,
row groups of at most 1Mi rows, no ARROW:schema (Spark doesn't write one) but Spark's own
row-metadata key. The .crc files are Hadoop checksum sidecars: readers must ignore them.

Also OUT/_expected.json with the answers, computed with numpy:
  rows, sum_count, sum_occurred_at_unix_ms, sum_occurred_at_unix_ms_mod_1000, sum_entity_id_bytes,
  distinct_entity_ids.
Note sum_occurred_at_unix_ms passes Int64.max (9.22e18) at about 5.2M rows.

usage: gen-countevents.py [--out DIR] [--rows N] [--seed S] [--tasks T]
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import uuid
import zlib

try:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
except ImportError:  # a fresh machine
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "pyarrow", "numpy"])
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

START_MS = 1_778_198_400_000  # 2026-05-08T00:00:00Z
HOURS = 48
HOUR_MS = 3_600_000
DISTINCT = 100_000
SPARK_SCHEMA = json.dumps({"type": "struct", "fields": [
    {"name": "entity_id", "type": "string", "nullable": True, "metadata": {}},
    {"name": "count", "type": "long", "nullable": True, "metadata": {}},
    {"name": "occurred_at_unix_ms", "type": "long", "nullable": True, "metadata": {}},
]}, separators=(",", ":"))


def splitmix64(x):
    """Vectorised splitmix64 finaliser (uint64 arithmetic wraps)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def entity_ids(seed):
    """DISTINCT ids, index = popularity rank."""
    with np.errstate(over="ignore"):
        h = splitmix64(np.arange(DISTINCT, dtype=np.uint64) + np.uint64(seed) * np.uint64(1_000_003))
    kinds = (h >> np.uint64(56)).astype(np.int64) % 100
    low = (h & np.uint64((1 << 48) - 1)).tolist()
    out = []
    for k, v in zip(kinds.tolist(), low):
        if k < 70:
            out.append("page-%010x" % (v & 0xFF_FFFF_FFFF))
        elif k < 90:
            out.append("video-%08x" % (v & 0xFFFF_FFFF))
        elif k < 99:
            out.append("article/%012x" % v)
        else:
            out.append("café-%06x" % (v & 0xFF_FFFF))
    return out


def hadoop_crc(data):
    """Content of a Hadoop ChecksumFileSystem sidecar: 'crc\\0', bytesPerChecksum, CRC32 per 512 bytes."""
    n = 512
    parts = [b"crc\x00", struct.pack(">i", n)]
    parts += [struct.pack(">I", zlib.crc32(data[i:i + n])) for i in range(0, len(data), n)]
    return b"".join(parts)


def write_with_crc(path, data):
    with open(path, "wb") as f:
        f.write(data)
    d, name = os.path.split(path)
    with open(os.path.join(d, "." + name + ".crc"), "wb") as f:
        f.write(hadoop_crc(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=".bench/countevents")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--tasks", type=int, default=4, help="part files per hour (Spark tasks), default 4")
    a = ap.parse_args()
    t0 = time.perf_counter()
    n = a.rows
    rng = np.random.default_rng(a.seed)

    # Zipf-like popularity over ranks 0..DISTINCT-1: p(rank) ~ 1 / (rank + 10) ** 0.9
    w = 1.0 / (np.arange(DISTINCT, dtype=np.float64) + 10.0) ** 0.9
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    ranks = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), DISTINCT - 1).astype(np.int32)
    count = np.minimum(rng.geometric(0.45, n), 10).astype(np.int64)
    occurred = START_MS + rng.integers(0, HOURS * HOUR_MS, n, dtype=np.int64)
    task = rng.integers(0, a.tasks, n, dtype=np.int8)

    ids = entity_ids(a.seed)
    id_bytes = np.array([len(s.encode()) for s in ids], dtype=np.int64)
    dictionary = pa.array(ids, pa.string())

    expected = {
        "rows": n,
        "sum_count": int(count.sum()),
        # exact even past Int64.max: sum of offsets from START_MS, then add START_MS * n in Python ints
        "sum_occurred_at_unix_ms": int((occurred - START_MS).sum()) + START_MS * n,
        "sum_occurred_at_unix_ms_mod_1000": int((occurred % 1000).sum()),
        "sum_entity_id_bytes": int(id_bytes[ranks].sum()),
        "distinct_entity_ids": int(np.unique(ranks).size),
        "seed": a.seed,
    }

    # Spark sorts nothing within a task; group rows by (hour, task), keeping arrival order.
    hour = ((occurred - START_MS) // HOUR_MS).astype(np.int64)
    key = hour * a.tasks + task
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(HOURS * a.tasks + 1))

    if os.path.exists(a.out):
        # Replace an earlier dataset, but never wipe a directory that isn't one.
        if os.listdir(a.out) and not os.path.exists(os.path.join(a.out, "_expected.json")):
            sys.exit(f"{a.out} exists and is not a dataset written by this script; not touching it")
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    job = uuid.UUID(bytes=rng.bytes(16), version=4)
    schema = pa.schema([pa.field("entity_id", pa.string()), pa.field("count", pa.int64()),
                        pa.field("occurred_at_unix_ms", pa.int64())],
                       metadata={"org.apache.spark.version": "3.5.1",
                                 "org.apache.spark.sql.parquet.row.metadata": SPARK_SCHEMA})
    files = 0
    total_bytes = 0
    for h in range(HOURS):
        ts = START_MS + h * HOUR_MS
        tm = time.gmtime(ts // 1000)
        part_dir = os.path.join(a.out, f"year={tm.tm_year}", f"month={tm.tm_mon}", f"day={tm.tm_mday}",
                                f"hour={tm.tm_hour}")
        os.makedirs(part_dir, exist_ok=True)
        for t in range(a.tasks):
            lo, hi = bounds[h * a.tasks + t], bounds[h * a.tasks + t + 1]
            if lo == hi:
                continue  # a Spark task with no rows for this hour writes no file
            idx = order[lo:hi]
            table = pa.Table.from_arrays([
                pc.take(dictionary, pa.array(ranks[idx])),
                pa.array(count[idx]),
                pa.array(occurred[idx]),
            ], schema=schema)
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="SNAPPY", use_dictionary=True, data_page_version="1.0",
                           version="2.6", row_group_size=1024 * 1024, store_schema=False,
                           write_statistics=True)
            data = sink.getvalue().to_pybytes()
            name = f"part-{t:05d}-{job}.c000.snappy.parquet"
            write_with_crc(os.path.join(part_dir, name), data)
            files += 1
            total_bytes += len(data)

    write_with_crc(os.path.join(a.out, "_SUCCESS"), b"")
    with open(os.path.join(a.out, "_expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    print(f"wrote {n} rows in {files} Parquet files ({total_bytes / 1e6:.1f} MB) under {a.out} "
          f"in {time.perf_counter() - t0:.1f}s")
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
