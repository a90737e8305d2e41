import Compression
import Foundation
import TestSupport
import Testing
@testable import Parquet

/// Files written by `ParquetWriter`, read back by our reader.
@Suite struct WriterTests {
    /// Every physical type (and logical variants) × PLAIN/dictionary × v1/v2 × codec × nulls: three row groups of
    /// several pages each; values, validity, chunk and page statistics and page headers all checked.
    @Test(arguments: WriterCase.all)
    func roundTrip(_ c: WriterCase) async throws {
        try skipCase(unless: Codecs.isAvailable(c.codec), "\(c.testDescription): \(c.codec.name) library not installed")
        let rows = 2500
        let seed: UInt64 = 0x5EED_0000 + UInt64(c.pageVersion) * 16 + (c.dictionary ? 8 : 0) + (c.nulls ? 4 : 0) + UInt64(c.codec.rawValue) << 8
        let columns = WriterData.columns(rows: rows, nulls: c.nulls, seed: seed)
        var options = c.options
        options.rowGroupRowLimit = 1000
        options.dataPageSize = 300
        let bytes = try writerEncode(columns, rows: rows, options: options)
        let back = try await writerReadBack(bytes)
        let meta = back.reader.metadata

        #expect(meta.numRows == Int64(rows))
        #expect(meta.rowGroups.map(\.numRows) == [1000, 1000, 500])
        #expect(meta.columnOrders == Array(repeating: .typeDefined, count: columns.count))
        #expect(meta.createdBy == "backfill")
        for (i, column) in columns.enumerated() {
            let want = writerValueBytes(column.data)
            #expect(back.values[i].count == want.count, "\(column.spec.name): \(back.values[i].count) values, wrote \(want.count)")
            if back.values[i] != want {
                let k = zip(back.values[i], want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(back.values[i].count, want.count)
                Issue.record("\(column.spec.name): value \(k) differs")
            }
            #expect(back.validity[i] == (column.validity ?? [Bool](repeating: true, count: rows)), "\(column.spec.name): validity")
        }

        var multiPageChunks = 0
        for (g, group) in meta.rowGroups.enumerated() {
            let rowRange = (g * 1000)..<min(rows, (g + 1) * 1000)
            #expect(group.ordinal == Int16(g))
            #expect(group.totalCompressedSize == group.columns.reduce(0) { $0 + $1.metaData!.totalCompressedSize })
            for (ci, column) in columns.enumerated() {
                let chunk = group.columns[ci].metaData!
                let name = "\(column.spec.name) group \(g)"
                #expect(chunk.pathInSchema == [column.spec.name])
                #expect(chunk.codecRaw == c.codec.rawValue)
                #expect(chunk.numValues == Int64(rowRange.count))
                // Which values belong to this row group.
                let before = column.validity.map { v in v[0..<rowRange.lowerBound].filter { $0 }.count } ?? rowRange.lowerBound
                let count = column.validity.map { v in v[rowRange].filter { $0 }.count } ?? rowRange.count
                let groupValues = writerSlice(column.data, before..<(before + count))

                // Chunk statistics.
                let stats = try #require(chunk.statistics, "\(name): no statistics")
                #expect(stats.nullCount == Int64(rowRange.count - count), "\(name): null count")
                let expected = writerExpectedMinMax(column.spec, groupValues)
                #expect(stats.minValue == expected?.min, "\(name): min")
                #expect(stats.maxValue == expected?.max, "\(name): max")

                // Pages.
                let headers = try writerPageHeaders(bytes, chunk)
                let dataPages = headers.filter { $0.type == .dataPage || $0.type == .dataPageV2 }
                #expect(dataPages.allSatisfy { $0.type == (c.pageVersion == 2 ? .dataPageV2 : .dataPage) }, "\(name): page type")
                if dataPages.count > 1 { multiPageChunks += 1 }
                let usesDictionary = c.dictionary && column.spec.physicalType != .boolean
                #expect((headers.first?.type == .dictionaryPage) == usesDictionary, "\(name): dictionary page")
                #expect((chunk.dictionaryPageOffset != nil) == usesDictionary, "\(name): dictionary page offset")
                #expect(chunk.encodingStats?.reduce(0) { $0 + Int($1.count) } == headers.count, "\(name): encoding stats")
                var valueStart = 0
                var rowsSeen = 0
                for header in dataPages {
                    let pageRows: Int
                    let pageNulls: Int
                    let encoding: Encoding
                    let pageStats: Statistics?
                    if let v2 = header.dataPageHeaderV2 {
                        pageRows = Int(v2.numRows)
                        #expect(v2.numValues == v2.numRows)
                        pageNulls = Int(v2.numNulls)
                        encoding = v2.encoding
                        pageStats = v2.statistics
                        #expect(v2.isCompressed == (c.codec != .uncompressed))
                        #expect(v2.repetitionLevelsByteLength == 0)
                        #expect((v2.definitionLevelsByteLength > 0) == column.spec.nullable)
                    } else {
                        let v1 = try #require(header.dataPageHeader)
                        pageRows = Int(v1.numValues)
                        pageNulls = Int(v1.statistics?.nullCount ?? 0)
                        encoding = v1.encoding
                        pageStats = v1.statistics
                    }
                    #expect(pageRows <= options.dataPageRowLimit)
                    #expect(pageStats?.nullCount == Int64(pageNulls), "\(name): page null count")
                    let pageValues = writerSlice(groupValues, valueStart..<(valueStart + pageRows - pageNulls))
                    let pageExpected = writerExpectedMinMax(column.spec, pageValues)
                    #expect(pageStats?.minValue == pageExpected?.min, "\(name): page min")
                    #expect(pageStats?.maxValue == pageExpected?.max, "\(name): page max")
                    valueStart += pageRows - pageNulls
                    rowsSeen += pageRows
                    if usesDictionary {
                        #expect(encoding == .rleDictionary)
                    } else if column.spec.physicalType == .boolean && c.pageVersion == 2 {
                        #expect(encoding == .rle)
                    } else {
                        #expect(encoding == .plain)
                    }
                }
                #expect(valueStart == count, "\(name): page values")
                #expect(rowsSeen == rowRange.count, "\(name): page rows")
            }
        }
        #expect(multiPageChunks >= columns.count, "expected several pages per chunk, got \(multiPageChunks) multi-page chunks")
    }

    /// A dictionary that outgrows its limit: the first pages keep it, the rest of the chunk is PLAIN.
    @Test func dictionaryFallsBackToPlain() async throws {
        var rng = SeededRNG(seed: 7)
        let rows = 6000
        let values = (0..<rows).map { _ in Int64(bitPattern: rng.next()) }
        var options = ParquetWriterOptions()
        options.dictionaryPageSizeLimit = 8 * 1500
        options.dataPageSize = 1000
        let bytes = try ParquetWriter.encode(schema: [.int64("x", nullable: false)], columns: [.int64(values)], options: options)
        let back = try await writerReadBack(bytes)
        #expect(back.values[0] == writerValueBytes(.int64(values)))
        let chunk = back.reader.metadata.rowGroups[0].columns[0].metaData!
        let stats = chunk.encodingStats ?? []
        #expect(stats.contains(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1)))
        #expect(stats.contains { $0.pageType == .dataPage && $0.encoding == .rleDictionary && $0.count > 0 })
        #expect(stats.contains { $0.pageType == .dataPage && $0.encoding == .plain && $0.count > 0 })
        #expect(chunk.encodings.contains(.rleDictionary) && chunk.encodings.contains(.plain))
        let headers = try writerPageHeaders(bytes, chunk)
        let dictionaryEntries = Int(headers[0].dictionaryPageHeader!.numValues)
        #expect(dictionaryEntries * 8 <= options.dictionaryPageSizeLimit)
        #expect(dictionaryEntries > 0)
        // Dictionary pages come first, then PLAIN ones only.
        let encodings = headers.dropFirst().map { $0.dataPageHeader!.encoding }
        let firstPlain = try #require(encodings.firstIndex(of: .plain))
        #expect(encodings[..<firstPlain].allSatisfy { $0 == .rleDictionary })
        #expect(encodings[firstPlain...].allSatisfy { $0 == .plain })

        // A limit the first page already exceeds: no dictionary at all.
        options.dictionaryPageSizeLimit = 16
        let plain = try ParquetWriter.encode(schema: [.int64("x", nullable: false)], columns: [.int64(values)], options: options)
        let plainBack = try await writerReadBack(plain)
        #expect(plainBack.values[0] == writerValueBytes(.int64(values)))
        let plainChunk = plainBack.reader.metadata.rowGroups[0].columns[0].metaData!
        #expect(plainChunk.dictionaryPageOffset == nil)
        #expect(plainChunk.encodingStats?.allSatisfy { $0.encoding == .plain } == true)
    }

    /// parquet-mr's v1 names: PLAIN_DICTIONARY for the dictionary page and the data pages (v2 pages keep RLE_DICTIONARY).
    @Test(arguments: [1, 2])
    func legacyDictionaryEncodingNames(_ version: Int) async throws {
        let columns = WriterData.columns(rows: 800, nulls: true, seed: 31)
        var options = ParquetWriterOptions()
        options.legacyDictionaryEncoding = true
        options.dataPageVersion = version
        options.dataPageSize = 400
        let bytes = try writerEncode(columns, rows: 800, options: options)
        let back = try await writerReadBack(bytes)
        for (i, column) in columns.enumerated() {
            #expect(back.values[i] == writerValueBytes(column.data), "\(column.spec.name)")
            let chunk = back.reader.metadata.rowGroups[0].columns[i].metaData!
            let headers = try writerPageHeaders(bytes, chunk)
            guard column.spec.physicalType != .boolean else { continue }
            #expect(headers[0].dictionaryPageHeader?.encoding == (version == 1 ? .plainDictionary : .plain))
            let data = headers.dropFirst().map { $0.dataPageHeader?.encoding ?? $0.dataPageHeaderV2!.encoding }
            #expect(data.allSatisfy { $0 == (version == 1 ? .plainDictionary : .rleDictionary) })
            #expect(chunk.encodings.contains(version == 1 ? .plainDictionary : .rleDictionary))
        }
    }

    /// Low-cardinality strings are dictionary-encoded into a small file; values come back as dictionary codes.
    @Test func dictionaryShrinksRepetitiveColumns() async throws {
        let words = ["alpha", "beta", "gamma", "delta"]
        var strings = ByteArrays()
        for i in 0..<10_000 { strings.append(Array(words[i * 7 % 4].utf8)) }
        var options = ParquetWriterOptions()
        options.codec = .uncompressed
        let withDictionary = try ParquetWriter.encode(schema: [.string("s", nullable: false)], columns: [.byteArray(strings)], options: options)
        options.dictionary = false
        let withoutDictionary = try ParquetWriter.encode(schema: [.string("s", nullable: false)], columns: [.byteArray(strings)], options: options)
        #expect(withDictionary.count * 10 < withoutDictionary.count)
        let back = try await writerReadBack(withDictionary)
        #expect(back.values[0] == writerValueBytes(.byteArray(strings)))
        guard case .dictionary(let dictionary, _) = back.groups[0][0].values else {
            Issue.record("expected dictionary-encoded values")
            return
        }
        #expect(dictionary.count == 4)
    }

    /// CRCs in every page header, verified by the reader; a flipped byte is caught.
    @Test(arguments: [1, 2])
    func pageChecksums(_ version: Int) async throws {
        let columns = WriterData.columns(rows: 300, nulls: true, seed: 99)
        var options = ParquetWriterOptions()
        options.writePageChecksums = true
        options.dataPageVersion = version
        options.dataPageSize = 256
        var bytes = try writerEncode(columns, rows: 300, options: options)
        let back = try await writerReadBack(bytes)
        for chunk in back.reader.metadata.rowGroups[0].columns {
            let headers = try writerPageHeaders(bytes, chunk.metaData!)
            #expect(headers.allSatisfy { $0.crc != nil })
        }
        // Flip the last byte of the first data page of column 1.
        let meta = back.reader.metadata.rowGroups[0].columns[1].metaData!
        let first = try writerPageHeaders(bytes, meta)[0]
        let headerLength = bytes.withUnsafeBytes { (try? PageHeader.decode(UnsafeRawBufferPointer(rebasing: $0[Int(meta.dataPageOffset)...])))?.length ?? 0 }
        bytes[Int(meta.dataPageOffset) + headerLength + Int(first.compressedPageSize) - 1] ^= 0x40
        await #expect(throws: ParquetError.self) { _ = try await writerReadBack(bytes) }
        _ = try await writerReadBack(bytes, verifyChecksums: false).values  // may decode wrong values, but must not crash
    }

    /// The same rows give the same bytes, however they are split across `write` calls and whichever output is used.
    @Test func deterministicAcrossBatchesAndOutputs() async throws {
        let rows = 3000
        let columns = WriterData.columns(rows: rows, nulls: true, seed: 1234)
        var options = ParquetWriterOptions()
        options.rowGroupRowLimit = 700
        options.dataPageSize = 2000
        let once = try writerEncode(columns, rows: rows, options: options)
        #expect(try writerEncode(columns, rows: rows, options: options) == once)

        // Batches of uneven sizes, to a memory writer and to a file.
        var rng = SeededRNG(seed: 5)
        var cuts = [0]
        while cuts.last! < rows { cuts.append(min(rows, cuts.last! + Int(rng.next() % 900))) }
        let dir = try writerTempDirectory("batches")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("batched.parquet").path
        let memory = try ParquetWriter(schema: columns.map(\.spec), options: options)
        let file = try ParquetWriter(path: path, schema: columns.map(\.spec), options: options)
        for (a, b) in zip(cuts, cuts.dropFirst()) {
            var data: [ColumnData] = []
            var validity: [[Bool]?] = []
            for column in columns {
                let v = column.validity!
                let first = v[0..<a].filter { $0 }.count
                let count = v[a..<b].filter { $0 }.count
                data.append(writerSlice(column.data, first..<(first + count)))
                validity.append(Array(v[a..<b]))
            }
            try memory.write(columns: data, validity: validity, rowCount: b - a)
            try file.write(columns: data, validity: validity, rowCount: b - a)
            #expect(memory.rowCount == Int64(b))
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the file appears only when finished")
        #expect(FileManager.default.fileExists(atPath: path + ".tmp"))
        #expect(try memory.finish() == once)
        #expect(try file.finish().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == once)
        let lines = try await catJSONLines(path)
        #expect(lines.count == rows)
    }

    /// The static file writer, and a dropped writer leaving nothing behind.
    @Test func writesFilesAtomically() async throws {
        let dir = try writerTempDirectory("files")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.parquet").path
        try ParquetWriter.write(path: path, schema: [.int32("a"), .string("b")],
                                columns: [.int32([1, 2, 3]), .byteArray(ByteArrays(offsets: [0, 1, 3], bytes: Array("xyz".utf8)))],
                                validity: [nil, [true, false, true]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.parquet"])
        #expect(writerSameJSON(try await catJSONLines(path), [#"{"a":1,"b":"x"}"#, #"{"a":2,"b":null}"#, #"{"a":3,"b":"yz"}"#]))

        let abandoned = dir.appendingPathComponent("abandoned.parquet").path
        do {
            let writer = try ParquetWriter(path: abandoned, schema: [.int32("a")])
            try writer.write(columns: [.int32([1])], rowCount: 1)
            #expect(FileManager.default.fileExists(atPath: abandoned + ".tmp"))
        }
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(!FileManager.default.fileExists(atPath: abandoned + ".tmp"))

        // A directory that does not exist: a clear error.
        #expect(throws: ParquetError.self) {
            try ParquetWriter.write(path: dir.appendingPathComponent("missing/y.parquet").path, schema: [.int32("a")], columns: [.int32([1])])
        }
    }

    /// Zero rows: a valid file with no row groups.
    @Test func emptyFile() async throws {
        let writer = try ParquetWriter(schema: [.int64("a"), .string("b", nullable: false)])
        try writer.write(columns: [.int64([]), .byteArray(ByteArrays())], rowCount: 0)
        let bytes = try writer.finish()
        let back = try await writerReadBack(bytes)
        #expect(back.reader.metadata.numRows == 0)
        #expect(back.reader.metadata.rowGroups.isEmpty)
        #expect(back.reader.schema.columns.map(\.dottedPath) == ["a", "b"])
    }

    /// Schema elements: repetition, logical and legacy converted types, decimal scale/precision, key/value metadata.
    @Test func schemaAndFooter() async throws {
        let specs: [ParquetColumnSpec] = [
            .string("s", nullable: false), .date("d"), .timestamp("ms", unit: .millis), .timestamp("us", unit: .micros),
            .timestamp("ns", unit: .nanos), .timestamp("local", unit: .millis, utc: false), .decimal("d9", precision: 9, scale: 2),
            .decimal("d18", precision: 18, scale: 4), .decimal("d38", precision: 38, scale: 10), .integer("i8", bits: 8),
            .integer("u16", bits: 16, signed: false), .integer("u64", bits: 64, signed: false), .time("t", unit: .millis),
            .uuid("id"), .json("j"), .fixed("f", length: 3), .int96("legacy_ts"),
        ]
        var options = ParquetWriterOptions()
        options.createdBy = "parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)"
        options.keyValueMetadata = [KeyValue(key: "org.apache.spark.version", value: "3.5.1")]
        options.schemaName = "spark_schema"
        let writer = try ParquetWriter(schema: specs, options: options)
        let back = try await writerReadBack(try writer.finish())
        let meta = back.reader.metadata
        #expect(meta.createdBy == options.createdBy)
        #expect(meta.keyValueMetadata == options.keyValueMetadata)
        #expect(meta.schema[0].name == "spark_schema")
        #expect(meta.schema[0].numChildren == Int32(specs.count))
        let e = Dictionary(uniqueKeysWithValues: meta.schema.dropFirst().map { ($0.name, $0) })
        #expect(e["s"]?.repetitionType == .required)
        #expect(e["d"]?.repetitionType == .optional)
        #expect(e["s"]?.convertedType == .utf8)
        #expect(e["s"]?.logicalType == .string)
        #expect(e["d"]?.convertedType == .date)
        #expect(e["ms"]?.convertedType == .timestampMillis)
        #expect(e["us"]?.convertedType == .timestampMicros)
        #expect(e["ns"]?.convertedType == nil)
        #expect(e["ns"]?.logicalType == .timestamp(isAdjustedToUTC: true, unit: .nanos))
        #expect(e["local"]?.convertedType == nil)
        #expect(e["d9"]?.type == .int32)
        #expect(e["d18"]?.type == .int64)
        #expect(e["d38"]?.type == .fixedLenByteArray)
        #expect(e["d38"]?.typeLength == 16)
        #expect(e["d38"]?.convertedType == .decimal)
        #expect(e["d38"]?.scale == 10 && e["d38"]?.precision == 38)
        #expect(e["d9"]?.scale == 2 && e["d9"]?.precision == 9)
        #expect(e["i8"]?.convertedType == .int8)
        #expect(e["u16"]?.convertedType == .uint16)
        #expect(e["u64"]?.convertedType == .uint64)
        #expect(e["u64"]?.type == .int64)
        #expect(e["t"]?.convertedType == .timeMillis)
        #expect(e["id"]?.typeLength == 16 && e["id"]?.logicalType == .uuid)
        #expect(e["j"]?.convertedType == .json)
        #expect(e["f"]?.typeLength == 3 && e["f"]?.logicalType == nil && e["f"]?.convertedType == nil)
        #expect(e["legacy_ts"]?.type == .int96)
        #expect(DecimalLimits.maxPrecision(bytes: 4) == 9 && DecimalLimits.maxPrecision(bytes: 8) == 18)
        #expect(DecimalLimits.maxPrecision(bytes: 16) == 38 && DecimalLimits.minimumBytes(forPrecision: 20) == 9)
    }

    /// Orderings the specification asks for: signed vs unsigned integers, unsigned bytes, signed decimals,
    /// NaN skipped, -0.0 as min and +0.0 as max; the legacy fields only for signed orders.
    @Test func statisticsOrdering() async throws {
        func stats(_ spec: ParquetColumnSpec, _ data: ColumnData, validity: [Bool]? = nil) async throws -> Statistics {
            let rows = validity?.count ?? data.count
            let bytes = try ParquetWriter.encode(schema: [spec], columns: [data], validity: [validity], rowCount: rows)
            let back = try await writerReadBack(bytes)
            return try #require(back.reader.metadata.rowGroups[0].columns[0].metaData?.statistics)
        }
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func strings(_ items: [[UInt8]]) -> ColumnData {
            var b = ByteArrays()
            for i in items { b.append(i) }
            return .byteArray(b)
        }

        var s = try await stats(.int32("i"), .int32([5, -3, 7]))
        #expect(s.minValue == le(Int32(-3)) && s.maxValue == le(Int32(7)))
        #expect(s.min == s.minValue && s.max == s.maxValue, "legacy min/max for signed INT32")
        s = try await stats(.integer("u", bits: 32, signed: false), .int32([5, -3, 7]))
        #expect(s.minValue == le(Int32(5)) && s.maxValue == le(Int32(-3)))
        #expect(s.min == nil && s.max == nil, "no legacy min/max for unsigned order")
        s = try await stats(.integer("u", bits: 64, signed: false), .int64([0, -1, 1]))
        #expect(s.minValue == le(Int64(0)) && s.maxValue == le(Int64(-1)))
        s = try await stats(.string("s"), strings([Array("b".utf8), Array("é".utf8), Array("a".utf8), Array("ab".utf8), []]))
        #expect(s.minValue == [] && s.maxValue == Array("é".utf8))
        #expect(s.min == nil && s.max == nil, "no legacy min/max for byte arrays")
        s = try await stats(.decimal("d", precision: 10, scale: 0, physicalType: .byteArray), strings([[0x01], [0xFF], [0x00, 0x80], [0xFF, 0x00]]))
        #expect(s.minValue == [0xFF, 0x00] && s.maxValue == [0x00, 0x80])
        s = try await stats(.decimal("d", precision: 5, scale: 0, physicalType: .fixedLenByteArray),
                            .fixedLenByteArray(FixedByteArrays(width: 3, bytes: [0x00, 0x00, 0x05, 0xFF, 0xFF, 0xFE, 0x00, 0x01, 0x00])))
        #expect(s.minValue == [0xFF, 0xFF, 0xFE] && s.maxValue == [0x00, 0x01, 0x00])
        s = try await stats(.double("f"), .double([0.0, 3.5, .nan]))
        #expect(s.minValue == le((-0.0 as Double).bitPattern) && s.maxValue == le((3.5 as Double).bitPattern))
        s = try await stats(.float("f"), .float([-0.0, -2, .nan]))
        #expect(s.minValue == le((-2 as Float).bitPattern) && s.maxValue == le((0.0 as Float).bitPattern))
        s = try await stats(.double("f"), .double([.nan, .nan]))
        #expect(s.minValue == nil && s.maxValue == nil && s.nullCount == 0)
        s = try await stats(.float16("h"), .fixedLenByteArray(FixedByteArrays(width: 2, bytes: [0x00, 0x3C, 0x00, 0x00, 0x00, 0x7E, 0x00, 0xC0])))
        #expect(s.minValue == [0x00, 0xC0] && s.maxValue == [0x00, 0x3C])
        s = try await stats(.boolean("b"), .boolean([true, true]), validity: [true, false, true])
        #expect(s.minValue == [1] && s.maxValue == [1] && s.nullCount == 1)
        s = try await stats(.int96("t"), .int96([Int96(nanosOfDay: 1, julianDay: 2_440_588)]))
        #expect(s.minValue == nil && s.nullCount == 0, "INT96 has no min/max")
        s = try await stats(.int64("n"), .int64([]), validity: [false, false])
        #expect(s.minValue == nil && s.nullCount == 2)

        // Oversized values leave min/max out.
        var options = ParquetWriterOptions()
        options.maxStatisticsSize = 4
        let bytes = try ParquetWriter.encode(schema: [.string("s")], columns: [strings([Array("short".utf8), Array("x".utf8)])], options: options)
        let big = try await writerReadBack(bytes).reader.metadata.rowGroups[0].columns[0].metaData!.statistics!
        #expect(big.minValue == nil && big.maxValue == nil && big.nullCount == 0)

        // writeStatistics = false: none at all.
        options.writeStatistics = false
        let none = try ParquetWriter.encode(schema: [.int32("i")], columns: [.int32([1, 2])], options: options)
        let noneBack = try await writerReadBack(none)
        let chunk = noneBack.reader.metadata.rowGroups[0].columns[0].metaData!
        #expect(chunk.statistics == nil)
        #expect(try writerPageHeaders(none, chunk).allSatisfy { $0.dataPageHeader?.statistics == nil })
    }

    /// `.dictionary` input (as the reader returns it) is written like its plain values.
    @Test func acceptsDictionaryInput() async throws {
        var dictionary = ByteArrays()
        for w in ["x", "yy", "zzz"] { dictionary.append(Array(w.utf8)) }
        let codes: [Int32] = [2, 0, 0, 1, 2]
        let bytes = try ParquetWriter.encode(schema: [.string("s"), .int32("i")],
                                             columns: [.dictionary(dictionary: .byteArray(dictionary), codes: codes),
                                                       .dictionary(dictionary: .int32([10, 20]), codes: [1, 1, 0, 1, 0])])
        let lines = try await catJSONLines(try ParquetFileReader.open(MemorySource(bytes: bytes)))
        #expect(writerSameJSON(lines, [#"{"s":"zzz","i":20}"#, #"{"s":"x","i":20}"#, #"{"s":"x","i":10}"#, #"{"s":"yy","i":20}"#, #"{"s":"zzz","i":10}"#]))
    }

    /// Spark-like files: parquet-mr's created_by, the spark_schema root and Spark's schema JSON.
    @Test func sparkStyle() async throws {
        let specs: [ParquetColumnSpec] = [.int64("id", nullable: false), .string("na\"me"), .int96("ts"), .timestamp("ts_ntz", unit: .micros, utc: false),
                                          .decimal("amount", precision: 12, scale: 2), .date("day"), .integer("b", bits: 8), .binary("raw")]
        let options = SparkStyle.options(schema: specs)
        #expect(options.keyValueMetadata.first { $0.key == "org.apache.spark.version" }?.value == "3.5.1")
        let json = try #require(options.keyValueMetadata.first { $0.key == "org.apache.spark.sql.parquet.row.metadata" }?.value)
        let want = #"{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"na\"me","type":"string","nullable":true,"metadata":{}},{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},{"name":"ts_ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},{"name":"amount","type":"decimal(12,2)","nullable":true,"metadata":{}},{"name":"day","type":"date","nullable":true,"metadata":{}},{"name":"b","type":"byte","nullable":true,"metadata":{}},{"name":"raw","type":"binary","nullable":true,"metadata":{}}]}"#
        #expect(json == want)
        #expect(parseJSON(json) != nil)
        let writer = try ParquetWriter(schema: specs, options: options)
        var raw = ByteArrays()
        raw.append([0xFF, 0x00])
        var names = ByteArrays()
        names.append(Array("x".utf8))
        try writer.write(columns: [.int64([7]), .byteArray(names), .int96([Int96(nanosOfDay: 3_600_000_000_000, julianDay: 2_460_000)]),
                                   .int64([1_000_000]), .int64([12345]), .int32([19000]), .int32([-5]), .byteArray(raw)], rowCount: 1)
        let bytes = try writer.finish()
        let reader = try await ParquetFileReader.open(MemorySource(bytes: bytes))
        #expect(reader.metadata.createdBy == SparkStyle.createdBy)
        #expect(reader.metadata.schema[0].name == "spark_schema")
        let lines = try await catJSONLines(reader)
        #expect(writerSameJSON(lines, [#"{"id":7,"na\"me":"x","ts":"2023-02-24T01:00:00.000000Z","ts_ntz":"1970-01-01T00:00:01.000000","amount":"123.45","day":"2022-01-08","b":-5,"raw":"/wA="}"#]),
                "\(lines)")
    }

    /// Row groups split at exactly `rowGroupSize` rows; pages stop at `dataPageRowLimit` rows.
    @Test func rowGroupAndPageLimits() async throws {
        var options = ParquetWriterOptions()
        options.rowGroupRowLimit = 1000
        options.dataPageRowLimit = 300
        let values = (0..<2001).map { Int32($0) }
        let bytes = try ParquetWriter.encode(schema: [.int32("i", nullable: false)], columns: [.int32(values)], options: options)
        let back = try await writerReadBack(bytes)
        #expect(back.reader.metadata.rowGroups.map(\.numRows) == [1000, 1000, 1])
        let headers = try writerPageHeaders(bytes, back.reader.metadata.rowGroups[0].columns[0].metaData!)
        #expect(headers.compactMap { $0.dataPageHeader?.numValues } == [300, 300, 300, 100])
        #expect(back.values[0] == writerValueBytes(.int32(values)))
    }
}
