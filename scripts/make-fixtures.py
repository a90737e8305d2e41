#!/usr/bin/env python3
"""Generate extra Parquet test fixtures with pyarrow, plus their expected
canonical JSON Lines from the shared oracle.

Writes:
  Tests/ParquetTests/Fixtures/generated/NAME.parquet
  Tests/ParquetTests/Fixtures/expected/NAME.parquet.jsonl   (by ../shared/tools/parquet_jsonl.py)

The main matrix is one file per (codec, data page version, dictionary, nulls)
combination, each holding every column type as a column:

  mix_{none,snappy,gzip,zstd,lz4raw,brotli}_{v1,v2}_{dict,plain}_{nulls,nonulls}.parquet

"nonulls" files have REQUIRED columns (no definition levels at the top level, and
required list elements / struct fields / map values); "nulls" files have OPTIONAL
columns at every level with nulls sprinkled in (plus a run of all-null rows).
All files of one nulls setting hold the same rows, so their expected JSON Lines
are identical (git stores them once).

Then a handful of special files: many pages and row groups, dictionary fallback,
BYTE_STREAM_SPLIT, DELTA_* encodings, page checksums, decimals stored as
INT32/INT64, a 0-row file and all-null files.

Values are pseudo-random from fixed seeds, so re-running with the same pyarrow
version rewrites byte-identical files.

usage: scripts/make-fixtures.py [--out FIXTURES_DIR]
"""
import argparse
import decimal
import hashlib
import inspect
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - bootstrap on a fresh machine
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "pyarrow", "numpy"])
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
ORACLE = os.path.join(SHARED, "tools", "parquet_jsonl.py")
FIXTURES = os.path.join(REPO, "Tests", "ParquetTests", "Fixtures")

ROWS = 300
CODECS = [("none", "NONE"), ("snappy", "SNAPPY"), ("gzip", "GZIP"), ("zstd", "ZSTD"),
          ("lz4raw", "LZ4"),  # pyarrow's "LZ4" writes the LZ4_RAW codec
          ("brotli", "BROTLI")]
PAGE_VERSIONS = [("v1", "1.0"), ("v2", "2.0")]

I32, I64 = (-(2**31), 2**31 - 1), (-(2**63), 2**63 - 1)
INT_RANGES = {
    "int8": (-128, 127), "int16": (-32768, 32767), "int32": I32, "int64": I64,
    "uint8": (0, 255), "uint16": (0, 65535), "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}
NP_INT = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
          "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}

EDGE_STRINGS = [
    "", "a", "café", "ünï ✓", 'say "hi"', "back\\slash", "tab\there\nnewline", "emoji 🙂👍",
    "日本語テキスト", "nul\x00byte", "<html>&amp;</html>", " leading and trailing ",
    "combining e\u0301", "x" * 120,
]
WORDS = ["alpha", "beta", "gamma", "delta", "page", "view", "click", "Zürich", "naïve",
         "ünï", "✓", "home", "search", "cart"]

MS_PER_DAY = 86_400_000
# 1900-01-01 .. 2100-01-01 in milliseconds.
TS_LO_MS, TS_HI_MS = -2_208_988_800_000, 4_102_444_800_000
TS_EDGES_MS = [
    0, -1, 1, -1000, 999, -2_208_988_800_000,  # 1970, just before, 1900
    1_778_259_600_123,  # 2026-05-08T17:00:00.123
    -30_610_224_000_000, 253_402_300_799_999,  # 1000-01-01T00:00:00, 9999-12-31T23:59:59.999
    -62_135_596_800_001, 253_402_300_800_000,  # just outside 0001..9999: printed as integers
]
# Not 0001-01-01T00:00:00 (-62_135_596_800_000) nor any year below 1000: the oracle formats
# timestamps with strftime("%Y"), which glibc doesn't pad ("1-01-01T…" instead of "0001-01-01T…").


class Gen:
    """Column value generators. Each returns (arrow type, list-or-array builder)."""

    def __init__(self, rng, n, nullable, null_frac=0.15, all_null=False):
        self.rng, self.n, self.nullable, self.null_frac, self.all_null = rng, n, nullable, null_frac, all_null

    # -- helpers -------------------------------------------------------------
    def mask(self, n_edges):
        """True where the value is null."""
        n = self.n
        if not self.nullable:
            return np.zeros(n, dtype=bool)
        if self.all_null:
            return np.ones(n, dtype=bool)
        m = self.rng.random(n) < self.null_frac
        if n > 230:
            m[200:230] = True  # a run of nulls
        m[: min(n_edges, n)] = False  # edge values stay visible
        if n > n_edges + 1:
            m[n_edges] = True  # a null right after the edges
        return m

    def place_edges(self, values, edges):
        k = min(len(edges), self.n)
        for i in range(k):
            values[i] = edges[i]
        return values

    def pick(self, pool, n):
        return [pool[i] for i in self.rng.integers(0, len(pool), n)]

    def elem_null(self):
        """Whether a nested element / field / map value is null (nullable files only)."""
        return self.nullable and not self.all_null and self.rng.random() < 0.1

    # -- primitives ------------------------------------------------------------
    def ints(self, kind, n=None):
        n = self.n if n is None else n
        lo, hi = INT_RANGES[kind]
        dt = NP_INT[kind]
        full = self.rng.integers(lo, hi, size=n, endpoint=True, dtype=dt)
        pool = self.rng.integers(lo, hi, size=16, endpoint=True, dtype=dt)
        small = np.clip(self.rng.integers(-100, 100, size=n), lo, hi).astype(dt)
        choice = self.rng.random(n)  # 25% anywhere in range, 45% from a small pool, 30% small values
        vals = np.where(choice < 0.25, full, np.where(choice < 0.7, pool[self.rng.integers(0, 16, n)], small))
        # runs of a repeated value (RLE / dictionary runs)
        if n > 120:
            vals[100:140] = vals[100]
        return vals.astype(dt)

    def int_edges(self, kind):
        lo, hi = INT_RANGES[kind]
        e = [lo, hi, 0, 1, lo + 1, hi - 1]
        if lo < 0:
            e.append(-1)
        return e

    def prim_int(self, kind):
        vals = self.ints(kind)
        edges = self.int_edges(kind)
        for i, v in enumerate(edges[: self.n]):
            vals[i] = v
        return pa.array(vals, type=getattr(pa, kind)(), mask=self.mask(len(edges)))

    def prim_bool(self):
        vals = self.rng.random(self.n) < 0.5
        if self.n > 100:
            vals[40:100] = True  # long run
        return pa.array(vals, type=pa.bool_(), mask=self.mask(2))

    def prim_float(self, kind):
        np_t = {"float16": np.float16, "float32": np.float32, "float64": np.float64}[kind]
        info = np.finfo(np_t)
        mag = 10.0 ** self.rng.integers(-3, 4 if kind == "float16" else 7, self.n)
        vals = self.rng.standard_normal(self.n) * mag
        pool = (self.rng.standard_normal(12) * 100).round(2)
        use_pool = self.rng.random(self.n) < 0.6
        vals = np.where(use_pool, pool[self.rng.integers(0, 12, self.n)], vals)
        edges = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.1, 0.1, -2.5, float(info.max), -float(info.max),
                 float(info.smallest_subnormal), float(info.tiny), 1e-7 if kind != "float16" else 1e-3,
                 123456.789 if kind != "float16" else 1234.5]
        arr = vals.astype(np_t)
        for i, v in enumerate(edges[: self.n]):
            arr[i] = np_t(v)
        return pa.array(arr, type={"float16": pa.float16(), "float32": pa.float32(), "float64": pa.float64()}[kind],
                        mask=self.mask(len(edges)))

    def strings(self, n):
        out = []
        for _ in range(n):
            r = self.rng.random()
            if r < 0.3:
                out.append(EDGE_STRINGS[self.rng.integers(0, len(EDGE_STRINGS))])
            elif r < 0.7:
                k = int(self.rng.integers(1, 4))
                out.append(" ".join(self.pick(WORDS, k)))
            else:
                out.append("page-%06d" % self.rng.integers(0, 1_000_000))
        return out

    def with_nulls(self, vals, n_edges):
        m = self.mask(n_edges)
        return [None if m[i] else v for i, v in enumerate(vals)]

    def prim_string(self):
        vals = self.place_edges(self.strings(self.n), EDGE_STRINGS)
        return pa.array(self.with_nulls(vals, len(EDGE_STRINGS)), type=pa.string())

    def prim_binary(self):
        edges = [b"", b"\x00", b"\xff\xfe\x00\x01", bytes(range(32)), "café".encode()]
        vals = [self.rng.bytes(int(self.rng.integers(0, 17))) for _ in range(self.n)]
        pool = [self.rng.bytes(4) for _ in range(8)]
        vals = [pool[i % 8] if i % 3 == 0 else v for i, v in enumerate(vals)]
        vals = self.place_edges(vals, edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=pa.binary())

    def prim_fsb(self, width=5):
        edges = [b"\x00" * width, b"\xff" * width, b"hello"[:width].ljust(width, b"!")]
        vals = self.place_edges([self.rng.bytes(width) for _ in range(self.n)], edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=pa.binary(width))

    def decimal_values(self, p, s, n):
        """Unscaled values of every magnitude up to p digits (Python ints: p may exceed 18)."""
        top = 10**p - 1
        big = random.Random(int(self.rng.integers(0, 2**63)))
        out = []
        for _ in range(n):
            u = big.randrange(10 ** big.randint(1, p))
            out.append(-u if big.random() < 0.45 else u)
        pool = out[:12]
        return [pool[i % 12] if i % 4 == 0 else v for i, v in enumerate(out)] if n > 12 else out

    def prim_decimal(self, p, s):
        top = 10**p - 1
        edges = [e for e in [top, -top, 0, -1, 1, -50, 10**s, -(10**s) - 1] if abs(e) <= top]
        unscaled = self.place_edges(self.decimal_values(p, s, self.n), edges)
        ctx = decimal.Context(prec=60)  # the default 28 digits would round DECIMAL(30+)
        vals = [decimal.Decimal(u).scaleb(-s, context=ctx) for u in unscaled]
        return pa.array(self.with_nulls(vals, len(edges)), type=pa.decimal128(p, s))

    def prim_temporal(self, kind):
        n = self.n
        if kind == "date32":
            edges = [0, -1, 1, -25567, 20581, -719162, 2932896]  # 1970, 1969-12-31, 1900, 2026-05-08, 0001-01-01, 9999-12-31
            vals = self.rng.integers(-25567, 47482, n, dtype=np.int64)  # 1900..2100
            dtype, t = np.int32, pa.date32()
        elif kind in ("time32_ms", "time64_us", "time64_ns"):
            per_ms = {"time32_ms": 1, "time64_us": 1000, "time64_ns": 1_000_000}[kind]
            day = MS_PER_DAY * per_ms
            edges = [0, day - 1, 1, 12 * 3600 * 1000 * per_ms]
            vals = self.rng.integers(0, day, n, dtype=np.int64)
            dtype = np.int32 if kind == "time32_ms" else np.int64
            t = {"time32_ms": pa.time32("ms"), "time64_us": pa.time64("us"), "time64_ns": pa.time64("ns")}[kind]
        elif kind in ("ts_ms", "ts_us_utc"):
            scale = 1 if kind == "ts_ms" else 1000
            edges = [e * scale for e in TS_EDGES_MS] + ([-1] if scale > 1 else [])
            vals = self.rng.integers(TS_LO_MS, TS_HI_MS, n, dtype=np.int64) * scale + \
                self.rng.integers(0, scale, n, dtype=np.int64)
            dtype = np.int64
            t = pa.timestamp("ms") if kind == "ts_ms" else pa.timestamp("us", tz="UTC")
        elif kind == "ts_ns":
            edges = [0, -1, 1, I64[1], I64[0] + 1, 1_778_259_600_123_456_789, -2_208_988_800_000_000_001]
            vals = self.rng.integers(-(2**62), 2**62, n, dtype=np.int64)
            dtype, t = np.int64, pa.timestamp("ns")
        else:
            raise ValueError(kind)
        if n:  # 40% repeats from a small pool, so dictionaries pay off
            pool = vals[self.rng.integers(0, n, 16)]
            vals = np.where(self.rng.random(n) < 0.4, pool[self.rng.integers(0, 16, n)], vals)
        vals = vals.astype(dtype)
        if n > 120:
            vals[100:130] = vals[100]
        for i, v in enumerate(edges[:n]):
            vals[i] = v
        storage = pa.array(vals, type=pa.int32() if dtype == np.int32 else pa.int64(), mask=self.mask(len(edges)))
        return storage.view(t)

    # -- nested ----------------------------------------------------------------
    def elem_field(self, name, t):
        return pa.field(name, t, nullable=self.nullable)

    def nested_list(self, elements_fn, elem_type, edges_lists):
        lists = []
        for i in range(self.n):
            k = int(self.rng.integers(0, 5))
            items = elements_fn(k)
            items = [None if self.elem_null() else x for x in items]
            lists.append(items)
        lists = self.place_edges(lists, edges_lists)
        t = pa.list_(self.elem_field("element", elem_type))
        return pa.array(self.with_nulls(lists, len(edges_lists)), type=t)

    def list_int32(self):
        edges = [[], [0], [I32[0], I32[1], -1]] + ([[None, 7, None]] if self.nullable else [])
        return self.nested_list(lambda k: self.ints("int32", k).tolist(), pa.int32(), edges)

    def list_string(self):
        edges = [[], [""], ["café", "ünï ✓", 'q"uote']] + ([[None, "x"]] if self.nullable else [])
        return self.nested_list(self.strings, pa.string(), edges)

    def list_list_int32(self):
        inner_t = pa.list_(self.elem_field("element", pa.int32()))
        t = pa.list_(self.elem_field("element", inner_t))
        edges = [[], [[]], [[1, 2], [], [3]]]
        if self.nullable:
            edges += [[None], [[None], None, []]]
        vals = []
        for _ in range(self.n):
            outer = []
            for _ in range(int(self.rng.integers(0, 4))):
                if self.elem_null():
                    outer.append(None)
                    continue
                inner = [None if self.elem_null() else int(x)
                         for x in self.ints("int32", int(self.rng.integers(0, 4)))]
                outer.append(inner)
            vals.append(outer)
        vals = self.place_edges(vals, edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=t)

    def struct_ab(self):
        t = pa.struct([self.elem_field("a", pa.int32()), self.elem_field("b", pa.string())])
        a = self.ints("int32").tolist()
        b = self.strings(self.n)
        vals = [{"a": None if self.elem_null() else x, "b": None if self.elem_null() else y} for x, y in zip(a, b)]
        edges = [{"a": 0, "b": ""}, {"a": I32[0], "b": "café"}]
        if self.nullable:
            edges.append({"a": None, "b": None})  # present struct, null fields
        vals = self.place_edges(vals, edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=t)

    def map_string_int64(self):
        t = pa.map_(pa.string(), self.elem_field("value", pa.int64()))
        vals = []
        for _ in range(self.n):
            k = int(self.rng.integers(0, 4))
            keys = sorted(set(self.pick(WORDS, k)))
            vs = self.ints("int64", len(keys)).tolist()
            vals.append([(key, None if self.elem_null() else v) for key, v in zip(keys, vs)])
        edges = [[], [("", 0)], [("café", I64[0]), ("ünï ✓", I64[1])]]
        if self.nullable:
            edges.append([("nullvalue", None)])
        vals = self.place_edges(vals, edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=t)

    def uuid(self):
        vals = [self.rng.bytes(16) for _ in range(self.n)]
        edges = [b"\x00" * 16, b"\xff" * 16]
        vals = self.place_edges(vals, edges)
        return pa.array(self.with_nulls(vals, len(edges)), type=pa.binary(16)).cast(pa.uuid())


def column_makers(g):
    """name -> zero-argument function building the column with generator g (order = schema order)."""
    cols = {"bool": g.prim_bool}
    for k in INT_RANGES:
        cols[k] = (lambda k=k: g.prim_int(k))
    cols.update({
        "float32": lambda: g.prim_float("float32"),
        "float64": lambda: g.prim_float("float64"),
        "float16": lambda: g.prim_float("float16"),
        "string": g.prim_string,
        "binary": g.prim_binary,
        "fixed5": g.prim_fsb,
        "dec_9_2": lambda: g.prim_decimal(9, 2),
        "dec_18_3": lambda: g.prim_decimal(18, 3),
        "dec_30_4": lambda: g.prim_decimal(30, 4),
        "date32": lambda: g.prim_temporal("date32"),
        "time32_ms": lambda: g.prim_temporal("time32_ms"),
        "time64_us": lambda: g.prim_temporal("time64_us"),
        "time64_ns": lambda: g.prim_temporal("time64_ns"),
        "ts_ms": lambda: g.prim_temporal("ts_ms"),
        "ts_us_utc": lambda: g.prim_temporal("ts_us_utc"),
        "ts_ns": lambda: g.prim_temporal("ts_ns"),
        "list_int32": g.list_int32,
        "list_string": g.list_string,
        "struct_ab": g.struct_ab,
        "map_string_int64": g.map_string_int64,
        "list_list_int32": g.list_list_int32,
        "uuid": g.uuid,
    })
    return cols


ALL_COLUMNS = list(column_makers(Gen(np.random.default_rng(0), 1, False)).keys())


def seed_for(label):
    return zlib.crc32(label.encode()) + 20260508


def build_table(label, n, nullable, columns, **gen_kw):
    """Each column draws from its own seeded stream so dropping one column doesn't change the others."""
    arrays, fields = [], []
    for name in columns:
        g = Gen(np.random.default_rng(seed_for(f"{label}/{name}")), n, nullable, **gen_kw)
        arr = column_makers(g)[name]()
        arrays.append(arr)
        fields.append(pa.field(name, arr.type, nullable=nullable))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def run_oracle(parquet_path, out_path):
    with open(out_path, "wb") as out:
        r = subprocess.run([sys.executable, ORACLE, parquet_path], stdout=out, stderr=subprocess.PIPE)
    if r.returncode != 0:
        os.unlink(out_path)
        return r.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["exit %d" % r.returncode]
    return None


def probe_types(tmp):
    """Find the column types pyarrow can write and the oracle can render; return (kept, dropped notes)."""
    kept, dropped = [], []
    for name in ALL_COLUMNS:
        why = None
        for nullable in (False, True):
            path = os.path.join(tmp, f"probe_{name}_{nullable}.parquet")
            try:
                t = build_table("probe", 20, nullable, [name])
                pq.write_table(t, path)
                back = pq.read_table(path)
                if back.num_rows != 20:
                    why = "pyarrow round trip lost rows"
            except Exception as e:  # noqa: BLE001 - any writer failure drops the type
                why = f"pyarrow cannot write it: {type(e).__name__}: {e}"
            if why is None:
                err = run_oracle(path, path + ".jsonl")
                if err:
                    why = "oracle fails: " + " ".join(err)
            if why:
                break
        (dropped.append((name, why)) if why else kept.append(name))
    return kept, dropped


def small_pages(rows):
    """Writer options for many small data pages. pyarrow's data_page_size alone is only checked
    after each write batch, so cap the rows per page too where this pyarrow can."""
    opts = dict(data_page_size=512, write_batch_size=rows)
    if "max_rows_per_page" in inspect.signature(pq.write_table).parameters:
        opts["max_rows_per_page"] = rows
    return opts


def write(table, path, **opts):
    opts.setdefault("version", "2.6")
    opts.setdefault("write_statistics", True)
    pq.write_table(table, path, **opts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=FIXTURES, help="Fixtures directory (default: %(default)s)")
    a = ap.parse_args()
    if not os.path.exists(ORACLE):
        sys.exit(f"oracle not found: {ORACLE}")

    gen_dir = os.path.join(a.out, "generated")
    exp_dir = os.path.join(a.out, "expected")
    os.makedirs(gen_dir, exist_ok=True)
    os.makedirs(exp_dir, exist_ok=True)
    # Remove what an earlier run wrote (generated/ is ours alone; in expected/ only our files' twins).
    for f in sorted(os.listdir(gen_dir)):
        if f.endswith(".parquet"):
            os.unlink(os.path.join(gen_dir, f))
            twin = os.path.join(exp_dir, f + ".jsonl")
            if os.path.exists(twin):
                os.unlink(twin)

    with tempfile.TemporaryDirectory() as tmp:
        cols, dropped = probe_types(tmp)
    print(f"pyarrow {pa.__version__}; columns: {', '.join(cols)}")
    for name, why in dropped:
        print(f"dropped column type {name}: {why}")

    files = []  # (name, table, write options)

    # 1. the matrix
    tables = {nulls: build_table(f"mix/{nulls}", ROWS, nulls == "nulls", cols) for nulls in ("nonulls", "nulls")}
    for codec_name, codec in CODECS:
        for pv_name, pv in PAGE_VERSIONS:
            for dict_name, use_dict in (("dict", True), ("plain", False)):
                for nulls in ("nonulls", "nulls"):
                    name = f"mix_{codec_name}_{pv_name}_{dict_name}_{nulls}"
                    files.append((name, tables[nulls], dict(compression=codec, data_page_version=pv,
                                                            use_dictionary=use_dict)))

    # 2. many pages and several row groups (narrow tables keep the expected output small)
    narrow = [c for c in ["bool", "int32", "int64", "float64", "string", "dec_18_3", "ts_us_utc",
                          "list_int32", "struct_ab"] if c in cols]
    for name, nulls, opts in [
        ("pages_rowgroups_v1_dict_snappy_nulls", "nulls", dict(compression="SNAPPY", data_page_version="1.0",
                                                               use_dictionary=True)),
        ("pages_rowgroups_v2_plain_zstd_nulls", "nulls", dict(compression="ZSTD", data_page_version="2.0",
                                                              use_dictionary=False)),
        ("pages_rowgroups_v2_dict_none_nonulls", "nonulls", dict(compression="NONE", data_page_version="2.0",
                                                                 use_dictionary=True)),
    ]:
        t = build_table(f"pages/{nulls}", 900, nulls == "nulls", narrow)
        files.append((name, t, dict(opts, row_group_size=300, **small_pages(40))))

    # 3. dictionary that overflows its page limit and falls back to PLAIN mid-column
    t = build_table("fallback", 600, True, [c for c in ["int64", "string", "binary", "float64"] if c in cols])
    files.append(("dict_fallback_v1_snappy_nulls", t, dict(compression="SNAPPY", data_page_version="1.0",
                                                           use_dictionary=True, dictionary_pagesize_limit=512,
                                                           data_page_size=2048, write_batch_size=64)))

    # 4. BYTE_STREAM_SPLIT on the float columns
    floats = [c for c in ["float16", "float32", "float64"] if c in cols]
    for pv_name, pv, nulls in (("v1", "1.0", "nulls"), ("v2", "2.0", "nonulls")):
        t = build_table(f"bss/{nulls}", 300, nulls == "nulls", floats + ["int32"])
        files.append((f"byte_stream_split_floats_{pv_name}_zstd_{nulls}", t,
                      dict(compression="ZSTD", data_page_version=pv, use_dictionary=False,
                           use_byte_stream_split=floats)))

    # 5. DELTA_BINARY_PACKED ints, DELTA_BYTE_ARRAY / DELTA_LENGTH_BYTE_ARRAY strings
    delta_ints = [c for c in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "date32",
                              "time32_ms", "time64_us", "ts_ms", "ts_ns"] if c in cols]
    delta_cols = delta_ints + ["string", "binary"]
    base = build_table("delta", 400, True, delta_cols)
    base_nn = build_table("delta_nn", 400, False, delta_cols)
    # a second string column with long shared prefixes (what DELTA_BYTE_ARRAY is for)
    rng = np.random.default_rng(seed_for("delta/urls"))
    urls = sorted(f"https://example.com/catalog/{w}/item-{int(i):05d}"
                  for w, i in zip(["shoes", "hats", "café", "ünï"] * 100, rng.integers(0, 3000, 400)))
    enc = {c: "DELTA_BINARY_PACKED" for c in delta_ints}
    enc.update({"string": "DELTA_BYTE_ARRAY", "binary": "DELTA_LENGTH_BYTE_ARRAY",
                "url_dba": "DELTA_BYTE_ARRAY", "url_dlba": "DELTA_LENGTH_BYTE_ARRAY"})
    for label, tbl, pv_name, pv, codec in (("nulls", base, "v2", "2.0", "SNAPPY"),
                                           ("nonulls", base_nn, "v1", "1.0", "GZIP")):
        urls_arr = pa.array(urls, pa.string())
        tbl = tbl.append_column(pa.field("url_dba", pa.string(), nullable=label == "nulls"), urls_arr)
        tbl = tbl.append_column(pa.field("url_dlba", pa.string(), nullable=label == "nulls"), urls_arr)
        files.append((f"delta_encodings_{pv_name}_{codec.lower()}_{label}", tbl,
                      dict(compression=codec, data_page_version=pv, use_dictionary=False, column_encoding=enc,
                           **small_pages(100))))

    # 6. page checksums (CRC32) on every column type
    files.append(("page_checksum_v1_snappy_dict_nulls", tables["nulls"],
                  dict(compression="SNAPPY", data_page_version="1.0", use_dictionary=True, write_page_checksum=True)))
    files.append(("page_checksum_v2_gzip_plain_nonulls", tables["nonulls"],
                  dict(compression="GZIP", data_page_version="2.0", use_dictionary=False, write_page_checksum=True)))

    # 7. decimals on INT32 / INT64 (and FLBA for precision > 18), incl. scale 0 and scale == precision
    dec_cols = [("dec_9_2", 9, 2), ("dec_18_3", 18, 3), ("dec_30_4", 30, 4), ("dec_5_0", 5, 0), ("dec_4_4", 4, 4),
                ("dec_38_10", 38, 10)]
    arrays = []
    for cname, p, s in dec_cols:
        arrays.append(Gen(np.random.default_rng(seed_for(f"dec/{cname}")), 300, True).prim_decimal(p, s))
    t = pa.Table.from_arrays(arrays, names=[c for c, _, _ in dec_cols])
    for dict_name, use_dict in (("dict", True), ("plain", False)):
        files.append((f"decimal_as_integer_v1_snappy_{dict_name}_nulls", t,
                      dict(compression="SNAPPY", data_page_version="1.0", use_dictionary=use_dict,
                           store_decimal_as_integer=True)))

    # 8. empty file and all-null columns
    files.append(("empty_0rows_nulls", build_table("empty", 0, True, cols), dict(compression="SNAPPY")))
    files.append(("empty_0rows_nonulls", build_table("empty", 0, False, cols), dict(compression="NONE")))
    all_null = build_table("allnull", 50, True, cols, all_null=True)
    files.append(("all_nulls_v1_snappy_dict", all_null, dict(compression="SNAPPY", data_page_version="1.0",
                                                             use_dictionary=True)))
    files.append(("all_nulls_v2_zstd_plain", all_null, dict(compression="ZSTD", data_page_version="2.0",
                                                            use_dictionary=False)))

    total_pq = total_jsonl = 0
    failures = []
    for name, table, opts in files:
        path = os.path.join(gen_dir, name + ".parquet")
        write(table, path, **opts)
        exp = os.path.join(exp_dir, name + ".parquet.jsonl")
        err = run_oracle(path, exp)
        if err:
            failures.append((name, err))
            os.unlink(path)
            continue
        md = pq.ParquetFile(path).metadata
        sz, jsz = os.path.getsize(path), os.path.getsize(exp)
        total_pq += sz
        total_jsonl += jsz
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()[:12]
        print(f"wrote {os.path.relpath(path, REPO)}  {md.num_rows} rows, {md.num_row_groups} row group(s), "
              f"{md.num_columns} leaf columns, {sz} bytes, sha256 {digest}; expected {jsz} bytes")
    print(f"{len(files) - len(failures)} files: {total_pq} bytes of Parquet, {total_jsonl} bytes of expected JSON Lines")
    for name, err in failures:
        print(f"FAILED {name}: oracle: {' '.join(err)}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
