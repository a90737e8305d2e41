#!/usr/bin/env python3
"""Test helper for `backfill replace` (issue 5): correct one day of a page_views-style dataset, and answer with DuckDB.

  correct-page-views.py correct DIR DAY   rewrite every Parquet file of year=/month=/day=DAY (Spark-style: new part-file
                                          names, old files and .crc removed) with different rows and counts
  correct-page-views.py answer DIR OUT    DuckDB over DIR: hourly/daily/monthly/lifetime sum(count) per entity_id as
                                          canonical JSON Lines (OUT/hourly.jsonl, ...), like ../shared/.../expected/
"""
import json
import os
import sys
import uuid


def correct(root, day):
    import pyarrow as pa
    import pyarrow.parquet as pq

    changed = 0
    for dirpath, _, files in sorted(os.walk(root)):
        if f"/day={day}/" not in dirpath + "/":
            continue
        parts = [f for f in sorted(files) if f.endswith(".parquet")]
        if not parts:
            continue
        tables = [pq.read_table(os.path.join(dirpath, f)) for f in parts]
        table = pa.concat_tables(tables)
        rows = table.to_pylist()
        hour_ms = min(r["occurred_at_unix_ms"] for r in rows) // 3_600_000 * 3_600_000
        corrected = []
        for i, r in enumerate(rows):
            if i % 5 == 0:
                continue  # rows that should never have been there
            r = dict(r)
            if i % 3 == 0:
                r["count"] = r["count"] * 2 + 1  # counts that were wrong
            corrected.append(r)
        for i in range(7):  # a key the bad run missed entirely
            corrected.append({"entity_id": "corrected/late ✓", "count": 11, "occurred_at_unix_ms": hour_ms + 60_000 * i})
        for f in os.listdir(dirpath):
            os.remove(os.path.join(dirpath, f))
        new = pa.Table.from_pylist(corrected, schema=table.schema)
        name = f"part-00000-{uuid.uuid4()}.c000.snappy.parquet"
        pq.write_table(new, os.path.join(dirpath, name), compression="snappy", row_group_size=max(1, len(corrected) // 2))
        changed += 1
    if changed == 0:
        sys.exit(f"no partitions of day={day} under {root}")
    print(changed)


def answer(root, out):
    import duckdb

    os.makedirs(out, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""CREATE VIEW pv AS SELECT entity_id, count, make_timestamp(occurred_at_unix_ms * 1000) AS t
                    FROM read_parquet('{root}/**/*.parquet', hive_partitioning = false)""")
    labels = {
        "hourly": "strftime(date_trunc('hour', t), '%Y-%m-%dT%H:00:00Z')",
        "daily": "strftime(date_trunc('day', t), '%Y-%m-%d')",
        "monthly": "strftime(date_trunc('month', t), '%Y-%m')",
        "lifetime": "'lifetime'",
    }
    for window, label in labels.items():
        rows = con.execute(f"SELECT entity_id, {label} AS b, sum(count)::BIGINT FROM pv GROUP BY ALL").fetchall()
        rows.sort(key=lambda r: (r[0].encode(), r[1]))
        with open(os.path.join(out, f"{window}.jsonl"), "w", encoding="utf-8") as f:
            for k, b, v in rows:
                f.write(json.dumps({"key": k, "bucket": b, "value": v}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "correct":
        correct(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "answer":
        answer(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
