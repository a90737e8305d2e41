import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// A file for pyarrow to read.
struct PyarrowCase: Sendable, CustomTestStringConvertible {
    var name: String
    var dictionary: Bool
    var pageVersion: Int
    var codec: CompressionCodec
    var nulls: Bool
    var checksums = false
    var dictionaryLimit: Int? = nil
    var legacyDictionary = false
    var spark = false

    var testDescription: String { name }

    /// Every case is read by pyarrow for statistics (with page checksum verification); all but the checksum
    /// cases are also compared row by row through parquet_jsonl.py (one Python start each, so fewer is faster).
    static let all: [PyarrowCase] = [
        PyarrowCase(name: "plain-v1-uncompressed-nulls", dictionary: false, pageVersion: 1, codec: .uncompressed, nulls: true),
        PyarrowCase(name: "plain-v1-zstd", dictionary: false, pageVersion: 1, codec: .zstd, nulls: false),
        PyarrowCase(name: "plain-v2-gzip", dictionary: false, pageVersion: 2, codec: .gzip, nulls: false),
        PyarrowCase(name: "plain-v2-snappy-nulls", dictionary: false, pageVersion: 2, codec: .snappy, nulls: true),
        PyarrowCase(name: "dict-v1-snappy-nulls", dictionary: true, pageVersion: 1, codec: .snappy, nulls: true),
        PyarrowCase(name: "dict-v1-gzip", dictionary: true, pageVersion: 1, codec: .gzip, nulls: false),
        PyarrowCase(name: "dict-v2-uncompressed", dictionary: true, pageVersion: 2, codec: .uncompressed, nulls: false),
        PyarrowCase(name: "dict-v2-zstd-nulls", dictionary: true, pageVersion: 2, codec: .zstd, nulls: true),
        PyarrowCase(name: "dict-v1-snappy-checksums-nulls", dictionary: true, pageVersion: 1, codec: .snappy, nulls: true, checksums: true),
        PyarrowCase(name: "dict-v2-gzip-checksums", dictionary: true, pageVersion: 2, codec: .gzip, nulls: false, checksums: true),
        PyarrowCase(name: "spark-style-nulls", dictionary: true, pageVersion: 1, codec: .snappy, nulls: true, spark: true),
        PyarrowCase(name: "dict-fallback-v1-nulls", dictionary: true, pageVersion: 1, codec: .snappy, nulls: true, dictionaryLimit: 1000),
        PyarrowCase(name: "dict-fallback-v2", dictionary: true, pageVersion: 2, codec: .zstd, nulls: false, dictionaryLimit: 1000),
    ]

    static let rows = 1000
    static let rowGroupSize = 400

    var columns: [WriterTestColumn] {
        var seed: UInt64 = 0xA770
        for b in name.utf8 { seed = seed &* 31 &+ UInt64(b) }
        return WriterData.columns(rows: Self.rows, nulls: nulls, seed: seed)
    }

    var options: ParquetWriterOptions {
        var o = spark ? SparkStyle.options(schema: columns.map(\.spec)) : ParquetWriterOptions()
        o.codec = codec
        o.dataPageVersion = pageVersion
        o.dictionary = dictionary
        o.rowGroupRowLimit = Self.rowGroupSize
        o.dataPageSize = 500
        o.writePageChecksums = checksums
        o.legacyDictionaryEncoding = legacyDictionary
        if let dictionaryLimit {
            o.dictionaryPageSizeLimit = dictionaryLimit
            o.dataPageSize = 150
        }
        if nulls {
            o.createdBy = "parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)"
            o.schemaName = "spark_schema"
            o.keyValueMetadata = [KeyValue(key: "writer.test", value: name)]
        }
        return o
    }

    /// Writes the file into `dir`; returns its path (nil when the codec is not available here).
    func write(into dir: URL) throws -> String? {
        guard Codecs.isAvailable(codec) else { return nil }
        let path = dir.appendingPathComponent(name + ".parquet").path
        let columns = self.columns
        try ParquetWriter.write(path: path, schema: columns.map(\.spec), columns: columns.map(\.data),
                                validity: columns.map(\.validity), rowCount: Self.rows, options: options)
        return path
    }
}

/// Reads every file with page checksum verification, then every row group's statistics with pyarrow, and cross-checks them against pyarrow's own min/max of the data.
/// Prints one JSON array of records; raw min/max are the PLAIN bytes in hex.
private let statisticsScript = #"""
import json, math, struct, sys
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

def raw(v, physical):
    if physical == "BOOLEAN": return bytes([1 if v else 0]).hex()
    if physical == "INT32": return struct.pack("<I", v & 0xFFFFFFFF).hex()
    if physical == "INT64": return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF).hex()
    if physical == "FLOAT": return struct.pack("<f", v).hex()
    if physical == "DOUBLE": return struct.pack("<d", v).hex()
    if isinstance(v, str): return v.encode("utf-8").hex()
    return bytes(v).hex()

records = []
for path in sys.argv[1:]:
    pq.read_table(path, page_checksum_verification=True)  # raises on a bad page CRC
    f = pq.ParquetFile(path)
    md = f.metadata
    for g in range(md.num_row_groups):
        table = f.read_row_group(g)
        for j in range(md.num_columns):
            col = md.row_group(g).column(j)
            st = col.statistics
            rec = {"file": path, "rg": g, "column": col.path_in_schema, "physical": col.physical_type,
                   "has_stats": col.is_stats_set, "has_min_max": bool(st is not None and st.has_min_max),
                   "null_count": st.null_count if st is not None and st.has_null_count else None,
                   "num_values": col.num_values, "check": "skipped"}
            if st is not None and st.has_min_max:
                rec["min_raw"] = raw(st.min_raw, col.physical_type)
                rec["max_raw"] = raw(st.max_raw, col.physical_type)
                data = table.column(j)
                try:
                    mm = pc.min_max(data)
                    lo, hi = mm["min"].as_py(), mm["max"].as_py()
                except Exception as e:
                    rec["check"] = "skipped: " + type(e).__name__
                else:
                    if isinstance(lo, float) and (math.isnan(lo) or math.isnan(hi)):
                        rec["check"] = "skipped: NaN"
                    else:
                        try:
                            slo, shi = st.min, st.max
                        except Exception as e:
                            rec["check"] = "skipped: " + type(e).__name__
                        else:
                            if isinstance(lo, (bytes, bytearray)) and isinstance(slo, str):
                                slo, shi = slo.encode(), shi.encode()
                            rec["check"] = "ok" if (slo == lo and shi == hi) else "mismatch: stats %r..%r, data %r..%r" % (slo, shi, lo, hi)
            records.append(rec)
print(json.dumps(records))
"""#

/// Files we write, read by pyarrow (`shared/tools/parquet_jsonl.py`, the canonical JSON oracle) and compared by value
/// with our own reader's output; statistics read by pyarrow.
@Suite(.enabled(if: TestEnvironment.hasPyarrow, TestEnvironment.noPyarrow)) struct WriterPyarrowTests {
    static let tool = Corpus.shared.appendingPathComponent("tools/parquet_jsonl.py").path

    @Test(arguments: PyarrowCase.all.filter { !$0.checksums })
    func pyarrowReadsOurFiles(_ c: PyarrowCase) async throws {
        let dir = try writerTempDirectory("pyarrow-\(c.name)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try skipCase(unless: Codecs.isAvailable(c.codec), "\(c.name): \(c.codec.name) library not installed")
        let path = try #require(try c.write(into: dir))
        // parquet_jsonl.py stops at pyarrow 26's UUID extension type (it is not a `pa.ExtensionType` there), so the
        // UUID column is left out of this comparison; the statistics test still reads it with pyarrow.
        let names = c.columns.map(\.spec.name).filter { $0 != "uuid" }
        let result = try TestProcess.runOnPath(["python3", Self.tool, path, "--columns", names.joined(separator: ",")])
        #expect(result.status == 0, "parquet_jsonl.py failed: \(result.stderr)")
        guard result.status == 0 else { return }
        if c.dictionaryLimit != nil {
            // Some chunk must mix dictionary and PLAIN data pages, so pyarrow reads a fallback part way.
            let reader = try await ParquetFileReader.open(try LocalFileSource(path: path))
            let mixed = reader.metadata.rowGroups.flatMap(\.columns).filter { chunk in
                let stats = chunk.metaData?.encodingStats ?? []
                return stats.contains { $0.encoding == .rleDictionary } && stats.contains { $0.encoding == .plain && $0.pageType != .dictionaryPage }
            }
            #expect(!mixed.isEmpty, "no chunk falls back from dictionary to PLAIN part way")
        }
        let theirs = result.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let reader = try await ParquetFileReader.open(try LocalFileSource(path: path))
        var ours: [String] = []
        for g in reader.metadata.rowGroups.indices {
            let batch = try await reader.readRowGroup(g, columns: try reader.columnIndices(named: names))
            var assembler = RowAssembler(schema: reader.schema, batch: batch)
            while let row = try assembler.next() { ours.append(RowValue.object(row).json) }
        }
        #expect(theirs.count == PyarrowCase.rows)
        #expect(ours.count == theirs.count)
        var reported = Set<String>()
        for (i, (o, t)) in zip(ours, theirs).enumerated() {
            guard case .object(let a)? = parseJSON(o), case .object(let b)? = parseJSON(t) else {
                Issue.record("row \(i): not JSON objects:\n  ours   \(o)\n  pyarrow \(t)")
                return
            }
            #expect(Set(a.keys) == Set(b.keys))
            for (key, value) in a.sorted(by: { $0.key < $1.key }) where !reported.contains(key) {
                guard let other = b[key] else { continue }
                if !jsonEqual(value, other) {
                    reported.insert(key)
                    Issue.record("\(c.name) row \(i) column \(key): ours \(value), pyarrow \(other)")
                }
            }
        }
    }

    @Test func pyarrowReadsOurStatistics() async throws {
        let dir = try writerTempDirectory("pyarrow-stats")
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String: PyarrowCase] = [:]
        var data: [String: [WriterTestColumn]] = [:]
        for c in PyarrowCase.all {
            if let path = try c.write(into: dir) {
                files[path] = c
                data[path] = c.columns
            }
        }
        let result = try TestProcess.runOnPath(["python3", "-c", statisticsScript] + files.keys.sorted())
        #expect(result.status == 0, "statistics script failed: \(result.stderr)")
        guard result.status == 0, case .array(let records)? = parseJSON(result.stdout) else {
            Issue.record("statistics script printed no JSON array")
            return
        }
        var checked = 0
        var minMaxSeen = 0
        for case .object(let r) in records {
            guard case .string(let path)? = r["file"], let c = files[path],
                  case .integer(let g)? = r["rg"], let group = Int(g),
                  case .string(let name)? = r["column"] else {
                Issue.record("malformed record \(r)")
                continue
            }
            let columns = data[path]!
            guard let column = columns.first(where: { $0.spec.name == name }) else {
                Issue.record("unknown column \(name)")
                continue
            }
            let rowRange = (group * PyarrowCase.rowGroupSize)..<min(PyarrowCase.rows, (group + 1) * PyarrowCase.rowGroupSize)
            let before = column.validity.map { v in v[0..<rowRange.lowerBound].filter { $0 }.count } ?? rowRange.lowerBound
            let count = column.validity.map { v in v[rowRange].filter { $0 }.count } ?? rowRange.count
            let expected = writerExpectedMinMax(column.spec, writerSlice(column.data, before..<(before + count)))
            let label = "\(c.name) group \(group) \(name)"
            #expect(r["has_stats"] == .bool(true), "\(label): pyarrow sees no statistics")
            #expect(r["null_count"] == .integer(String(rowRange.count - count)), "\(label): null count \(String(describing: r["null_count"]))")
            #expect(r["has_min_max"] == .bool(expected != nil), "\(label): has_min_max")
            if let expected {
                minMaxSeen += 1
                let hex = { (b: [UInt8]) in b.map { String(format: "%02x", $0) }.joined() }
                #expect(r["min_raw"] == .string(hex(expected.min)), "\(label): min \(String(describing: r["min_raw"])) vs \(hex(expected.min))")
                #expect(r["max_raw"] == .string(hex(expected.max)), "\(label): max \(String(describing: r["max_raw"])) vs \(hex(expected.max))")
            }
            if case .string(let check)? = r["check"] {
                if check == "ok" { checked += 1 }
                #expect(!check.hasPrefix("mismatch"), "\(label): \(check)")
            }
        }
        #expect(records.count > 100)
        #expect(minMaxSeen > 100)
        #expect(checked > 100, "only \(checked) statistics were cross-checked against pyarrow's min/max of the data")
    }
}
