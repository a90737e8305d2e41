import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// Per-column encodings × codecs × page versions, nested values and the page index, read back by our reader
/// and by pyarrow.
@Suite struct WriterEncodingTests {
    static let fields: [ParquetSchemaNode] = [
        .column(.int32("i32_delta")), .column(.int64("i64_delta", nullable: false)), .column(.int32("i32_split")),
        .column(.float("f_split")), .column(.double("d_split")), .column(.string("s_dlba")), .column(.string("s_dba")),
        .column(.fixed("x_dba", length: 3)), .column(.fixed("x_split", length: 3)), .column(.boolean("b_rle")),
        .list("l", element: .column(.int64("element"))),
        .map("m", key: .column(.string("key")), value: .column(.double("value"))),
    ]
    static let encodings: [String: Encoding] = [
        "i32_delta": .deltaBinaryPacked, "i64_delta": .deltaBinaryPacked, "i32_split": .byteStreamSplit,
        "f_split": .byteStreamSplit, "d_split": .byteStreamSplit, "s_dlba": .deltaLengthByteArray, "s_dba": .deltaByteArray,
        "x_dba": .deltaByteArray, "x_split": .byteStreamSplit, "b_rle": .rle, "l.list.element": .deltaBinaryPacked,
        "m.key_value.key": .deltaByteArray,
    ]

    static func rows(_ n: Int, seed: UInt64) -> [[ParquetValue]] {
        var rng = SeededRNG(seed: seed)
        func maybe(_ v: ParquetValue) -> ParquetValue { rng.next() % 5 == 0 ? .null : v }
        return (0..<n).map { i in
            let x = rng.next()
            return [
                maybe(.int32(Int32(truncatingIfNeeded: x))), .int64(Int64(i) * 1000 + Int64(x % 7)), maybe(.int32(Int32(i))),
                maybe(.float(Float(Int(x % 1000)) / 8)), maybe(.double(Double(i) * 0.25)),
                maybe(.string("name-\(x % 50)")), maybe(.string("prefix/shared/\(i)")),
                maybe(.bytes([UInt8(i & 0xFF), UInt8(x & 0xFF), 7])), maybe(.bytes([1, 2, UInt8(x >> 8 & 0xFF)])),
                maybe(.boolean(x & 1 == 0)),
                maybe(.list((0..<Int(x % 4)).map { k in k == 2 ? .null : .int64(Int64(k) - 1) })),
                maybe(.map((0..<Int(x % 3)).map { k in ParquetMapEntry(.string("k\(k)"), k == 1 ? .null : .double(Double(k))) })),
            ]
        }
    }

    static func options(version: Int, codec: CompressionCodec, encoded: Bool) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.dataPageVersion = version
        o.codec = codec
        o.dataPageSize = 512
        o.rowGroupSize = 16 << 10
        if encoded {
            for (path, e) in encodings { o.columns[path] = ParquetColumnOptions(encoding: e, dictionary: false) }
        }
        return o
    }

    static func write(_ rows: [[ParquetValue]], _ options: ParquetWriterOptions) throws -> [UInt8] {
        let writer = try ParquetWriter(fields: fields, options: options)
        try writer.write(rows: Array(rows[..<(rows.count / 3)]))
        try writer.write(rows: Array(rows[(rows.count / 3)...]))
        return try writer.finish()
    }

    static var cases: [(Int, CompressionCodec)] {
        [1, 2].flatMap { v in [CompressionCodec.uncompressed, .snappy, .gzip, .zstd, .lz4Raw, .brotli].map { (v, $0) } }
    }

    @Test(arguments: cases)
    func encodedEqualsPlain(_ version: Int, _ codec: CompressionCodec) async throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name) library not installed")
        let rows = Self.rows(3000, seed: 0xE7C0 &+ UInt64(version))
        let plain = try Self.write(rows, Self.options(version: 1, codec: .uncompressed, encoded: false))
        let encoded = try Self.write(rows, Self.options(version: version, codec: codec, encoded: true))
        let reader = try await ParquetFileReader.open(MemorySource(name: "encoded", bytes: encoded))
        #expect(reader.metadata.rowGroups.count > 1, "row groups are cut by size")
        for chunk in reader.metadata.rowGroups.flatMap(\.columns) {
            let meta = try #require(chunk.metaData)
            let path = meta.pathInSchema.joined(separator: ".")
            if let e = Self.encodings[path] { #expect(meta.encodings.contains(e), "\(path): \(meta.encodings)") }
            #expect(meta.codecRaw == codec.rawValue)
        }
        let want = try await catJSONLines(try ParquetFileReader.open(MemorySource(name: "plain", bytes: plain)))
        let got = try await catJSONLines(reader)
        #expect(want.count == rows.count)
        #expect(got == want)
    }

    @Test func pageIndexDescribesPages() async throws {
        var o = ParquetWriterOptions()
        o.dataPageSize = 256
        o.columnIndexTruncateLength = 8
        let writer = try ParquetWriter(fields: [.column(.int64("id", nullable: false)), .column(.string("s"))], options: o)
        try writer.write(rows: (0..<2000).map { i in [.int64(Int64(i)), i % 3 == 0 ? .null : .string("value-with-a-long-text-\(100_000 + i)")] })
        let bytes = try writer.finish()
        let reader = try await ParquetFileReader.open(MemorySource(name: "index", bytes: bytes))
        for chunk in reader.metadata.rowGroups[0].columns {
            let ci = try bytes.withUnsafeBytes { raw in
                try ColumnIndex.decode(UnsafeRawBufferPointer(rebasing: raw[Int(chunk.columnIndexOffset!)..<(Int(chunk.columnIndexOffset!) + Int(chunk.columnIndexLength!))]))
            }
            let oi = try bytes.withUnsafeBytes { raw in
                try OffsetIndex.decode(UnsafeRawBufferPointer(rebasing: raw[Int(chunk.offsetIndexOffset!)..<(Int(chunk.offsetIndexOffset!) + Int(chunk.offsetIndexLength!))]))
            }
            #expect(oi.pageLocations.count > 3)
            #expect(ci.nullPages.count == oi.pageLocations.count)
            #expect(ci.boundaryOrder == .ascending)
            #expect(oi.pageLocations.first?.firstRowIndex == 0)
            #expect(oi.pageLocations.first?.offset == chunk.metaData!.dataPageOffset)
            for (a, b) in zip(oi.pageLocations, oi.pageLocations.dropFirst()) {
                #expect(a.offset + Int64(a.compressedPageSize) == b.offset)
                #expect(a.firstRowIndex < b.firstRowIndex)
            }
            if chunk.metaData!.pathInSchema == ["id"] {
                let mins = ci.minValues.map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }
                #expect(mins.first == 0)
                #expect(mins == mins.sorted())
                #expect(zip(mins, oi.pageLocations).allSatisfy { $0 == $1.firstRowIndex })
            } else {
                #expect(ci.minValues.allSatisfy { $0.count <= 8 })
                #expect(ci.nullCounts!.reduce(0, +) == 667)
            }
        }
    }

    @Test(.enabled(if: TestEnvironment.hasPyarrow, TestEnvironment.noPyarrow))
    func pyarrowReadsEncodedNestedFiles() async throws {
        let dir = try writerTempDirectory("encodings")
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = Self.rows(1500, seed: 0xA11)
        for version in [1, 2] {
            let bytes = try Self.write(rows, Self.options(version: version, codec: .zstd, encoded: true))
            let path = dir.appendingPathComponent("v\(version).parquet").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let ours = try await catJSONLines(path)
            let result = try TestProcess.runOnPath(["python3", WriterPyarrowTests.tool, path])
            #expect(result.status == 0, "parquet_jsonl.py failed: \(result.stderr)")
            let theirs = result.stdout.split(separator: "\n").map(String.init)
            #expect(theirs.count == rows.count)
            #expect(writerSameJSON(ours, theirs), "v\(version): pyarrow reads other values than we do")
        }
    }

    @Test func statisticsTruncation() async throws {
        // Bytes: a prefix for the minimum, a prefix with its last byte incremented for the maximum; none when all 0xFF.
        #expect(StatisticsTruncation.truncatedMin([1, 2, 3, 4], limit: 2, utf8: false) == [1, 2])
        #expect(StatisticsTruncation.truncatedMax([1, 0xFF, 3, 4], limit: 2, utf8: false) == [2])
        #expect(StatisticsTruncation.truncatedMax([0xFF, 0xFF, 0xFF], limit: 2, utf8: false) == nil)
        // UTF-8: cut at a character boundary, increment the last character.
        #expect(StatisticsTruncation.truncatedMin(Array("aé€x".utf8), limit: 4, utf8: true) == Array("aé".utf8))
        #expect(StatisticsTruncation.truncatedMax(Array("abcdef".utf8), limit: 3, utf8: true) == Array("abd".utf8))
        var o = ParquetWriterOptions()
        o.statisticsTruncateLength = 4
        let writer = try ParquetWriter(fields: [.column(.string("s"))], options: o)
        try writer.write(rows: [[.string("banana split")], [.string("apple pie")]])
        let reader = try await ParquetFileReader.open(MemorySource(name: "truncated", bytes: try writer.finish()))
        let stats = try #require(reader.metadata.rowGroups[0].columns[0].metaData?.statistics)
        #expect(stats.minValue == Array("appl".utf8))
        #expect(stats.maxValue == Array("banb".utf8))
        #expect(stats.isMinValueExact == false && stats.isMaxValueExact == false)
    }

    @Test(.enabled(if: TestEnvironment.hasPyarrowAndDuckDB, TestEnvironment.noPyarrowAndDuckDB))
    func duckDBReadsNestedFiles() throws {
        let dir = try writerTempDirectory("duckdb-nested")
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = Self.rows(1000, seed: 0xD0C)
        let path = dir.appendingPathComponent("nested.parquet").path
        try Data(try Self.write(rows, Self.options(version: 2, codec: .snappy, encoded: true))).write(to: URL(fileURLWithPath: path))
        var elements = 0, elementSum: Int64 = 0, entries = 0, nonNullLists = 0
        for row in rows {
            if case .list(let items) = row[10] {
                nonNullLists += 1
                for case .int64(let v) in items { elements += 1; elementSum += v }
            }
            if case .map(let e) = row[11] { entries += e.count }
        }
        let sql = "select count(*), count(l), (select count(x) from (select unnest(l) as x from read_parquet('\(path)'))), sum(list_sum(l)), sum(cardinality(m)), sum(i64_delta) from read_parquet('\(path)')"
        let result = try TestProcess.runOnPath(["python3", "-c", "import duckdb, sys; print(tuple(duckdb.connect().execute(sys.argv[1]).fetchall()[0]))", sql])
        #expect(result.status == 0, "duckdb failed: \(result.stderr)")
        let i64Sum = rows.reduce(Int64(0)) { if case .int64(let v) = $1[1] { return $0 + v } else { return $0 } }
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "(\(rows.count), \(nonNullLists), \(elements), \(elementSum), \(entries), \(i64Sum))")
    }
}
