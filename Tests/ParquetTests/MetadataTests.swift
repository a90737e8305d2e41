import Foundation
import TestSupport
import Testing

@testable import Parquet

// MARK: Helpers

/// Decodes a `T` from `bytes`, requiring every byte to be used.
func thriftDecodeAll<T: ThriftStruct>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try withCompactReader(bytes) { r throws in
        let v = try T(from: &r)
        #expect(r.remaining == 0)
        return v
    }
}

func thriftEncode(_ value: some ThriftStruct) -> [UInt8] {
    var w = CompactWriter()
    value.write(to: &w)
    return w.bytes
}

func thriftRoundTrip<T: ThriftStruct & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let back = try thriftDecodeAll(T.self, thriftEncode(value))
    #expect(back == value, sourceLocation: sourceLocation)
}

/// The kinds of unknown field the skip tests add.
enum UnknownFieldKind: CaseIterable {
    case boolTrue, boolFalse, byte, i16, i32, i64, double, binary, listI32, listBool, listDouble, listStruct
    case set, map, nestedStruct, uuid, emptyList, emptyStruct
}

/// Writes field `id` of kind `kind` with some content.
func writeUnknownField(_ w: inout CompactWriter, id: Int16, _ kind: UnknownFieldKind) {
    switch kind {
    case .boolTrue: w.writeField(id, bool: true)
    case .boolFalse: w.writeField(id, bool: false)
    case .byte: w.writeField(id, byte: -5)
    case .i16: w.writeField(id, i16: -12345)
    case .i32: w.writeField(id, i32: Int32.min)
    case .i64: w.writeField(id, i64: Int64.max)
    case .double: w.writeField(id, double: -0.25)
    case .binary: w.writeField(id, binary: [UInt8](repeating: 7, count: 200))
    case .listI32: w.writeField(id, list: Array(0..<20) as [Int32], of: .i32) { w, v in w.writeI32(v) }
    case .listBool: w.writeField(id, list: [true, false, true], of: .boolTrue) { w, v in w.writeBoolElement(v) }
    case .listDouble: w.writeField(id, list: [1.0, 2.0], of: .double) { w, v in w.writeDouble(v) }
    case .listStruct: w.writeField(id, structs: [KeyValue(key: "a", value: "b"), KeyValue(key: "c")])
    case .set:
        w.writeFieldHeader(id, .set)
        w.writeListHeader(.binary, count: 2)
        w.writeString("x")
        w.writeString("y")
    case .map:
        w.writeFieldHeader(id, .map)
        w.writeMapHeader(key: .binary, value: .list, count: 2)
        for k in ["p", "q"] {
            w.writeString(k)
            w.writeListHeader(.i64, count: 2)
            w.writeI64(1)
            w.writeI64(-1)
        }
    case .nestedStruct:
        w.writeFieldHeader(id, .structure)
        let s = w.beginStruct()
        w.writeField(1, i32: 5)
        w.writeField(2, string: "nested")
        w.writeField(3, struct: KeyValue(key: "k", value: "v"))
        w.writeField(40, structs: [Statistics(max: [1], nullCount: 3), Statistics()])
        w.writeFieldHeader(41, .structure)
        let deeper = w.beginStruct()
        w.writeField(1, bool: true)
        w.writeField(2, struct: LogicalType.timestamp(isAdjustedToUTC: true, unit: .micros))
        w.endStruct(deeper)
        w.writeField(42, bool: false)
        w.endStruct(s)
    case .uuid:
        w.writeFieldHeader(id, .uuid)
        w.bytes.append(contentsOf: [UInt8](repeating: 0xEE, count: 16))
    case .emptyList:
        w.writeField(id, list: [] as [Int32], of: .i32) { w, v in w.writeI32(v) }
    case .emptyStruct:
        w.writeFieldHeader(id, .structure)
        let s = w.beginStruct()
        w.endStruct(s)
    }
}

/// `value` encoded with an extra field `id` of kind `kind` just before its stop byte.
func withUnknownField(_ value: some ThriftStruct, id: Int16 = 99, _ kind: UnknownFieldKind) -> [UInt8] {
    var bytes = thriftEncode(value)
    #expect(bytes.last == 0)
    bytes.removeLast()
    var w = CompactWriter()  // last field id 0: id 99 takes the long form, independent of what precedes it
    writeUnknownField(&w, id: id, kind)
    return bytes + w.bytes + [0]
}

// MARK: Sample values

enum MetadataSamples {
    static let fullStatistics = Statistics(
        max: [1, 2], min: [0], nullCount: 4, distinctCount: 9, maxValue: [0xFF, 0], minValue: [], isMaxValueExact: true,
        isMinValueExact: false)

    static let logicalTypes: [LogicalType] = [
        .string, .map, .list, .enumType, .decimal(scale: 2, precision: 10), .date,
        .time(isAdjustedToUTC: false, unit: .millis), .time(isAdjustedToUTC: true, unit: .nanos),
        .timestamp(isAdjustedToUTC: true, unit: .micros), .timestamp(isAdjustedToUTC: false, unit: .nanos),
        .integer(bitWidth: 8, isSigned: true), .integer(bitWidth: 64, isSigned: false), .null, .json, .bson,
        .uuid, .float16, .variant, .geometry, .geography, .unknown(fieldId: 40),
    ]

    static let fullSchemaElement = SchemaElement(
        type: .fixedLenByteArray, typeLength: 16, repetitionType: .optional, name: "dec", numChildren: 0,
        convertedType: .decimal, scale: 3, precision: 30, fieldId: 17, logicalType: .decimal(scale: 3, precision: 30))

    static let fullColumnMetaData = ColumnMetaData(
        type: .byteArray, encodings: [.plain, .rleDictionary, .rle, Encoding(rawValue: 42)],
        pathInSchema: ["a", "b", "c"], codecRaw: 6, numValues: 1_000_000, totalUncompressedSize: 1 << 33,
        totalCompressedSize: 12345, keyValueMetadata: [KeyValue(key: "k", value: "v"), KeyValue(key: "only key")],
        dataPageOffset: 4, indexPageOffset: 99, dictionaryPageOffset: 4, statistics: fullStatistics,
        encodingStats: [
            PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1),
            PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: 17),
        ], bloomFilterOffset: 777, bloomFilterLength: 64)

    static let minimalColumnMetaData = ColumnMetaData(
        type: .int32, encodings: [], pathInSchema: ["x"], codecRaw: 0, numValues: 0, totalUncompressedSize: 0,
        totalCompressedSize: 0, dataPageOffset: 4)

    static let fullColumnChunk = ColumnChunk(
        filePath: "other.parquet", fileOffset: 1234, metaData: fullColumnMetaData, offsetIndexOffset: 5000,
        offsetIndexLength: 20, columnIndexOffset: 6000, columnIndexLength: 30)

    static let fullRowGroup = RowGroup(
        columns: [fullColumnChunk, ColumnChunk(metaData: minimalColumnMetaData)], totalByteSize: 1 << 40,
        numRows: 8, sortingColumns: [SortingColumn(columnIdx: 1, descending: true, nullsFirst: false)],
        fileOffset: 4, totalCompressedSize: 999, ordinal: 3)

    static let fullFileMetaData = FileMetaData(
        version: 2,
        schema: [
            SchemaElement(name: "schema", numChildren: 2),
            fullSchemaElement,
            SchemaElement(
                type: .int64, repetitionType: .required, name: "ts",
                logicalType: .timestamp(isAdjustedToUTC: true, unit: .micros)),
        ],
        numRows: 8, rowGroups: [fullRowGroup, RowGroup(columns: [], totalByteSize: 0, numRows: 0)],
        keyValueMetadata: [KeyValue(key: "spark", value: "{}")], createdBy: "backfill test",
        columnOrders: [.typeDefined, .typeDefined])

    static let fullPageHeaders: [PageHeader] = [
        PageHeader(
            type: .dataPage, uncompressedPageSize: 100, compressedPageSize: 80, crc: -12345,
            dataPageHeader: DataPageHeader(
                numValues: 10, encoding: .plainDictionary, definitionLevelEncoding: .rle,
                repetitionLevelEncoding: .bitPacked, statistics: fullStatistics)),
        PageHeader(
            type: .dictionaryPage, uncompressedPageSize: 7, compressedPageSize: 7, crc: 0,
            dictionaryPageHeader: DictionaryPageHeader(numValues: 2, encoding: .plain, isSorted: true)),
        PageHeader(
            type: .dataPageV2, uncompressedPageSize: 1 << 30, compressedPageSize: 0, crc: Int32.min,
            dataPageHeaderV2: DataPageHeaderV2(
                numValues: 5, numNulls: 1, numRows: 4, encoding: .deltaBinaryPacked, definitionLevelsByteLength: 2,
                repetitionLevelsByteLength: 3, isCompressed: false, statistics: Statistics(nullCount: 1))),
    ]
}

// MARK: Round trips

@Suite struct MetadataRoundTripTests {
    @Test func statistics() throws {
        try thriftRoundTrip(MetadataSamples.fullStatistics)
        try thriftRoundTrip(Statistics())
        #expect(thriftEncode(Statistics()) == [0])
    }

    @Test func logicalTypes() throws {
        for t in MetadataSamples.logicalTypes { try thriftRoundTrip(t) }
    }

    @Test func schemaElements() throws {
        try thriftRoundTrip(MetadataSamples.fullSchemaElement)
        try thriftRoundTrip(SchemaElement(name: ""))
        for t in MetadataSamples.logicalTypes { try thriftRoundTrip(SchemaElement(name: "c", logicalType: t)) }
        for c in ConvertedType.allCases { try thriftRoundTrip(SchemaElement(name: "c", convertedType: c)) }
        for p in PhysicalType.allCases {
            for rep in Repetition.allCases { try thriftRoundTrip(SchemaElement(type: p, repetitionType: rep, name: "p")) }
        }
    }

    @Test func keyValuesAndEncodingStats() throws {
        try thriftRoundTrip(KeyValue(key: "k", value: "v"))
        try thriftRoundTrip(KeyValue(key: "ключ"))
        try thriftRoundTrip(PageEncodingStats(pageType: .dataPageV2, encoding: .byteStreamSplit, count: Int32.max))
        try thriftRoundTrip(PageEncodingStats(pageType: PageType(rawValue: 77), encoding: Encoding(rawValue: -1), count: 0))
    }

    @Test func columnMetaDataAndChunks() throws {
        try thriftRoundTrip(MetadataSamples.fullColumnMetaData)
        try thriftRoundTrip(MetadataSamples.minimalColumnMetaData)
        try thriftRoundTrip(MetadataSamples.fullColumnChunk)
        try thriftRoundTrip(ColumnChunk())
        try thriftRoundTrip(ColumnChunk(fileOffset: -1))
    }

    @Test func rowGroupsAndSortingColumns() throws {
        try thriftRoundTrip(MetadataSamples.fullRowGroup)
        try thriftRoundTrip(RowGroup(columns: [], totalByteSize: 0, numRows: 0))
        try thriftRoundTrip(SortingColumn(columnIdx: 0, descending: false, nullsFirst: true))
    }

    @Test func fileMetaData() throws {
        let full = MetadataSamples.fullFileMetaData
        let bytes = full.encoded()
        let back = try bytes.withUnsafeBytes { try FileMetaData.decode($0) }
        #expect(back == full)
        let minimal = FileMetaData(version: 1, schema: [SchemaElement(name: "root")], numRows: 0, rowGroups: [])
        #expect(try minimal.encoded().withUnsafeBytes { try FileMetaData.decode($0) } == minimal)
        try thriftRoundTrip(ColumnOrder.typeDefined)
        try thriftRoundTrip(ColumnOrder.unknown(fieldId: 5))
    }

    @Test func pageHeaders() throws {
        var all: [UInt8] = []
        for h in MetadataSamples.fullPageHeaders {
            let bytes = h.encoded()
            let (back, length) = try bytes.withUnsafeBytes { try PageHeader.decode($0) }
            #expect(back == h)
            #expect(length == bytes.count)
            all += bytes
        }
        // decode consecutive headers, as a page reader does (page bodies are empty here)
        var offset = 0
        for h in MetadataSamples.fullPageHeaders {
            let (back, length) = try all.withUnsafeBytes { buf in
                try PageHeader.decode(UnsafeRawBufferPointer(rebasing: buf[offset...]))
            }
            #expect(back == h)
            offset += length
        }
        #expect(offset == all.count)
        let minimal = PageHeader(type: .indexPage, uncompressedPageSize: 0, compressedPageSize: 0)
        try thriftRoundTrip(minimal)
        try thriftRoundTrip(DataPageHeader(numValues: 0, encoding: .plain, definitionLevelEncoding: .rle, repetitionLevelEncoding: .rle))
        try thriftRoundTrip(DictionaryPageHeader(numValues: -3, encoding: .plainDictionary))
        let v2 = DataPageHeaderV2(
            numValues: 1, numNulls: 0, numRows: 1, encoding: .plain, definitionLevelsByteLength: 0,
            repetitionLevelsByteLength: 0)
        try thriftRoundTrip(v2)
        #expect(v2.isCompressed)
    }

    @Test func isCompressedDefaultsToTrueWhenAbsent() throws {
        // DataPageHeaderV2 with fields 1...6 and no field 7
        var w = CompactWriter()
        let s = w.beginStruct()
        for id: Int16 in 1...6 { w.writeField(id, i32: 0) }
        w.endStruct(s)
        #expect(try thriftDecodeAll(DataPageHeaderV2.self, w.bytes).isCompressed)
    }
}

// MARK: Unknown fields, errors

@Suite struct MetadataDecodingTests {
    @Test(arguments: UnknownFieldKind.allCases) func unknownFieldsAreSkipped(kind: UnknownFieldKind) throws {
        func check<T: ThriftStruct & Equatable>(_ value: T) throws {
            #expect(try thriftDecodeAll(T.self, withUnknownField(value, kind)) == value, "\(T.self) + \(kind)")
        }
        try check(MetadataSamples.fullStatistics)
        try check(MetadataSamples.fullSchemaElement)
        try check(KeyValue(key: "k", value: "v"))
        try check(PageEncodingStats(pageType: .dataPage, encoding: .plain, count: 1))
        try check(MetadataSamples.fullColumnMetaData)
        try check(MetadataSamples.fullColumnChunk)
        try check(SortingColumn(columnIdx: 1, descending: true, nullsFirst: true))
        try check(MetadataSamples.fullRowGroup)
        try check(MetadataSamples.fullFileMetaData)
        for h in MetadataSamples.fullPageHeaders {
            try check(h)
            if let d = h.dataPageHeader { try check(d) }
            if let d = h.dictionaryPageHeader { try check(d) }
            if let d = h.dataPageHeaderV2 { try check(d) }
        }
        // inside LogicalType members (e.g. a future DecimalType field)
        for t in MetadataSamples.logicalTypes { try check(t) }
    }

    @Test func unknownFieldsBetweenKnownOnes() throws {
        // PageHeader with index_page_header (6, skipped) holding nested content, then field 7 by delta
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, i32: PageType.dictionaryPage.rawValue)
        w.writeField(2, i32: 10)
        w.writeField(3, i32: 9)
        writeUnknownField(&w, id: 6, .nestedStruct)
        #expect(w.lastFieldId == 6)
        w.writeField(7, struct: DictionaryPageHeader(numValues: 3, encoding: .plain))
        writeUnknownField(&w, id: 9, .map)
        writeUnknownField(&w, id: 10, .listStruct)
        w.endStruct(s)
        let (h, length) = try w.bytes.withUnsafeBytes { try PageHeader.decode($0) }
        #expect(length == w.bytes.count)
        #expect(h.type == .dictionaryPage)
        #expect(h.dictionaryPageHeader == DictionaryPageHeader(numValues: 3, encoding: .plain))
        #expect(h.compressedPageSize == 9)

        // ColumnChunk with crypto_metadata (8) and encrypted_column_metadata (9)
        var c = CompactWriter()
        let cs = c.beginStruct()
        c.writeField(2, i64: 4)
        writeUnknownField(&c, id: 8, .nestedStruct)
        c.writeField(9, binary: [1, 2, 3])
        c.endStruct(cs)
        #expect(try thriftDecodeAll(ColumnChunk.self, c.bytes) == ColumnChunk(fileOffset: 4))
    }

    @Test func unknownLogicalTypeMember() throws {
        // SchemaElement { 4: name, 10: LogicalType { 19: SomeFutureType { 1: i32, 2: list<string> } } }
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, i32: PhysicalType.byteArray.rawValue)
        w.writeField(4, string: "future")
        w.writeFieldHeader(10, .structure)
        let lt = w.beginStruct()
        w.writeFieldHeader(19, .structure)
        let m = w.beginStruct()
        w.writeField(1, i32: 3)
        w.writeField(2, list: ["a", "b"], of: .binary) { w, v in w.writeString(v) }
        w.endStruct(m)
        w.endStruct(lt)
        w.writeField(11, i32: 0)  // an unknown SchemaElement field after it
        w.endStruct(s)
        let e = try thriftDecodeAll(SchemaElement.self, w.bytes)
        #expect(e.logicalType == .unknown(fieldId: 19))
        #expect(e.name == "future")
        #expect(e.type == .byteArray)

        // INTERVAL (9) is reserved and not a member this reader knows
        var i = CompactWriter()
        let si = i.beginStruct()
        i.writeFieldHeader(9, .structure)
        let e9 = i.beginStruct()
        i.endStruct(e9)
        i.endStruct(si)
        #expect(try thriftDecodeAll(LogicalType.self, i.bytes) == .unknown(fieldId: 9))

        // A TIMESTAMP whose TimeUnit member is unknown degrades to an unknown logical type
        var t = CompactWriter()
        let st = t.beginStruct()
        t.writeFieldHeader(8, .structure)
        let ts = t.beginStruct()
        t.writeField(1, bool: true)
        t.writeFieldHeader(2, .structure)
        let u = t.beginStruct()
        t.writeFieldHeader(4, .structure)
        let picos = t.beginStruct()
        t.endStruct(picos)
        t.endStruct(u)
        t.endStruct(ts)
        t.endStruct(st)
        #expect(try thriftDecodeAll(LogicalType.self, t.bytes) == .unknown(fieldId: 8))

        // an empty union is an error
        #expect(thriftError { _ = try thriftDecodeAll(LogicalType.self, [0]) }?.message.contains("LogicalType") == true)
    }

    @Test func unknownEnumValues() throws {
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(4, string: "c")
        w.writeField(6, i32: 99)  // converted type from the future
        w.endStruct(s)
        #expect(try thriftDecodeAll(SchemaElement.self, w.bytes).convertedType == nil)

        var p = CompactWriter()
        let ps = p.beginStruct()
        p.writeField(1, i32: -7)
        p.writeField(4, string: "c")
        p.endStruct(ps)
        let e = thriftError { _ = try thriftDecodeAll(SchemaElement.self, p.bytes) }
        #expect(e?.message == "invalid physical type -7")
        #expect(e?.offset == 1)

        var r = CompactWriter()
        let rs = r.beginStruct()
        r.writeField(3, i32: 3)
        r.writeField(4, string: "c")
        r.endStruct(rs)
        #expect(thriftError { _ = try thriftDecodeAll(SchemaElement.self, r.bytes) }?.message == "invalid repetition type 3")

        #expect(Encoding(rawValue: 1).description == "UNKNOWN(1)")
        #expect(Encoding.rleDictionary.description == "RLE_DICTIONARY")
        #expect(Encoding.byteStreamSplit.description == "BYTE_STREAM_SPLIT")
        #expect(PageType(rawValue: 9).description == "UNKNOWN(9)")
        #expect(PageType.dataPageV2.description == "DATA_PAGE_V2")
    }

    @Test func missingRequiredFieldsAreNamed() {
        let cases: [(String, () throws -> Void)] = [
            ("SchemaElement.name", { _ = try thriftDecodeAll(SchemaElement.self, [0x15, 0x02, 0x00]) }),
            ("KeyValue.key", { _ = try thriftDecodeAll(KeyValue.self, [0x00]) }),
            ("FileMetaData.version", { _ = try thriftDecodeAll(FileMetaData.self, [0x00]) }),
            ("PageHeader.compressed_page_size", { _ = try thriftDecodeAll(PageHeader.self, [0x15, 0x00, 0x15, 0x02, 0x00]) }),
            ("SortingColumn.nulls_first", { _ = try thriftDecodeAll(SortingColumn.self, [0x15, 0x00, 0x11, 0x00]) }),
            ("RowGroup.columns", { _ = try thriftDecodeAll(RowGroup.self, [0x26, 0x02, 0x16, 0x02, 0x00]) }),
            ("ColumnMetaData.type", { _ = try thriftDecodeAll(ColumnMetaData.self, [0x00]) }),
            ("DecimalType.precision", { _ = try thriftDecodeAll(LogicalType.self, [0x5C, 0x15, 0x02, 0x00, 0x00]) }),
        ]
        for (field, body) in cases {
            let e = thriftError(body)
            #expect(e?.message == "required field \(field) is missing", "\(field): \(String(describing: e))")
        }
    }

    @Test func knownFieldWithWrongWireTypeIsSkipped() throws {
        // SchemaElement.name sent as an i32: skipped, so the required name is missing
        let e = thriftError { _ = try thriftDecodeAll(SchemaElement.self, [0x45, 0x02, 0x00]) }
        #expect(e?.message == "required field SchemaElement.name is missing")
        // ColumnMetaData field 15 (bloom_filter_length, i32) sent as a list of structs, as Dremio does
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, i32: 1)
        w.writeField(2, list: [] as [Int32], of: .i32) { w, v in w.writeI32(v) }
        w.writeField(3, list: ["c"], of: .binary) { w, v in w.writeString(v) }
        w.writeField(4, i32: 0)
        for id: Int16 in 5...7 { w.writeField(id, i64: 10) }
        w.writeField(9, i64: 4)
        w.writeField(15, structs: [KeyValue(key: "x")])
        w.endStruct(s)
        let m = try thriftDecodeAll(ColumnMetaData.self, w.bytes)
        #expect(m.bloomFilterLength == nil)
        #expect(m.pathInSchema == ["c"])
        #expect(m.dataPageOffset == 4)
    }

    @Test func listElementsOfTheWrongTypeAreAnError() {
        // a list of i64 where encodings (list<i32>) belong
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, i32: 1)
        w.writeField(2, list: [1] as [Int64], of: .i64) { w, v in w.writeI64(v) }
        w.endStruct(s)
        let l = thriftError { _ = try thriftDecodeAll(ColumnMetaData.self, w.bytes) }
        #expect(l?.message.contains("ColumnMetaData.encodings") == true)
    }

    @Test func negativePageSizesAreRejected() {
        let h = PageHeader(type: .dataPage, uncompressedPageSize: 10, compressedPageSize: -5)
        let e = thriftError { _ = try h.encoded().withUnsafeBytes { try PageHeader.decode($0) } }
        #expect(e?.message == "PageHeader.compressed_page_size is negative (-5)")
        let u = PageHeader(type: .dataPage, uncompressedPageSize: Int32.min, compressedPageSize: 0)
        #expect(thriftError { _ = try u.encoded().withUnsafeBytes { try PageHeader.decode($0) } } != nil)
        let v2 = DataPageHeaderV2(
            numValues: 1, numNulls: 0, numRows: 1, encoding: .plain, definitionLevelsByteLength: -1,
            repetitionLevelsByteLength: 0)
        #expect(thriftError { _ = try thriftDecodeAll(DataPageHeaderV2.self, thriftEncode(v2)) }?.message.contains("negative") == true)
    }

    @Test func truncationAtEveryByteThrows() {
        let bytes = MetadataSamples.fullFileMetaData.encoded()
        for n in 0..<bytes.count {
            let prefix = Array(bytes.prefix(n))
            let e = thriftError { _ = try prefix.withUnsafeBytes { try FileMetaData.decode($0) } }
            #expect(e != nil, "prefix of \(n) bytes decoded")
        }
        for h in MetadataSamples.fullPageHeaders {
            let hb = h.encoded()
            for n in 0..<hb.count {
                let prefix = Array(hb.prefix(n))
                #expect(thriftError { _ = try prefix.withUnsafeBytes { try PageHeader.decode($0) } } != nil)
            }
        }
    }

    @Test func mutatedFootersNeverCrash() {
        let bytes = MetadataSamples.fullFileMetaData.encoded()
        var rng = SeededRNG(seed: 7)
        for _ in 0..<5_000 {
            var m = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? m.withUnsafeBytes { try FileMetaData.decode($0) }
        }
    }
}

// MARK: Conformance corpus

enum FooterCorpus {
    /// `<repo root>/../shared/conformance/parquet`; the repo root is three levels above this file.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/conformance/parquet").standardizedFileURL

    static func files(_ dir: String) -> [URL] {
        let d = root.appendingPathComponent(dir)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []
        return names.filter { $0.hasSuffix(".parquet") }.sorted().map { d.appendingPathComponent($0) }
    }

    struct NotParquet: Error, CustomStringConvertible { var description: String }

    /// The file's bytes and the range of its serialized footer.
    static func footerRange(_ bytes: [UInt8]) throws -> Range<Int> {
        let n = bytes.count
        guard n >= 12, Array(bytes[(n - 4)...]) == ParquetFormat.magic else { throw NotParquet(description: "no PAR1 trailer") }
        let len = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16 | Int(bytes[n - 5]) << 24
        guard len <= n - 12 else { throw NotParquet(description: "footer length \(len) too large") }
        return (n - 8 - len)..<(n - 8)
    }

    static func footer(_ url: URL) throws -> (bytes: [UInt8], metadata: FileMetaData) {
        let bytes = [UInt8](try Data(contentsOf: url))
        let range = try footerRange(bytes)
        let md = try bytes.withUnsafeBytes { try FileMetaData.decode(UnsafeRawBufferPointer(rebasing: $0[range])) }
        return (bytes, md)
    }
}

/// Walks the page headers of a column chunk from its first page; returns the page headers and where the walk
/// ended (which is the chunk's end for a well-formed chunk).
func walkPageHeaders(_ bytes: [UInt8], _ m: ColumnMetaData) throws -> (headers: [PageHeader], end: Int) {
    var pos = Int(m.dataPageOffset)
    if let d = m.dictionaryPageOffset, d > 0, d < pos { pos = Int(d) }
    let end = pos + Int(m.totalCompressedSize)
    var headers: [PageHeader] = []
    while pos < end {
        let (h, len) = try bytes.withUnsafeBytes { try PageHeader.decode(UnsafeRawBufferPointer(rebasing: $0[pos...])) }
        headers.append(h)
        pos += len + Int(h.compressedPageSize)
    }
    return (headers, pos)
}

@Suite struct FooterCorpusTests {
    @Test func corpusIsPresent() {
        #expect(FooterCorpus.files("data").count >= 40, "corpus not found under \(FooterCorpus.root.path)")
        #expect(FooterCorpus.files("bad_data").count >= 8)
    }

    @Test func everyDataFooterDecodesAndReencodes() throws {
        for url in FooterCorpus.files("data") {
            let name = url.lastPathComponent
            let (_, md): ([UInt8], FileMetaData)
            do { (_, md) = try FooterCorpus.footer(url) } catch {
                Issue.record("\(name): \(error)")
                continue
            }
            // structural sanity
            let leaves = md.schema.filter { $0.numChildren == nil }.count
            #expect(md.schema.first?.numChildren != nil, "\(name): root is not a group")
            for rg in md.rowGroups {
                #expect(rg.columns.count == leaves, "\(name)")
                for c in rg.columns { #expect(c.metaData != nil, "\(name)") }
            }
            // our encoding of what we decoded decodes to the same thing
            let again = try md.encoded().withUnsafeBytes { try FileMetaData.decode($0) }
            #expect(again == md, "\(name): re-encoded footer differs")
        }
    }

    @Test func everyPageHeaderOfEveryDataFileDecodes() throws {
        // nation.dict-malformed has page headers running past their chunk's end (readers cope); in
        // column_chunk_key_value_metadata the chunks have no data pages at all (num_values 0, data_page_offset 0).
        let overrunning = ["nation.dict-malformed.parquet"]
        var files = 0
        for url in FooterCorpus.files("data") {
            let name = url.lastPathComponent
            let (bytes, md) = try FooterCorpus.footer(url)
            for rg in md.rowGroups {
                for c in rg.columns {
                    guard let m = c.metaData, m.numValues > 0 else { continue }
                    let (headers, end) = try walkPageHeaders(bytes, m)
                    let chunkEnd = Int(Swift.min(m.dataPageOffset, m.dictionaryPageOffset.flatMap { $0 > 0 ? $0 : nil } ?? .max)) + Int(m.totalCompressedSize)
                    if !overrunning.contains(name) {
                        #expect(end == chunkEnd, "\(name) \(m.pathInSchema): pages end at \(end), chunk at \(chunkEnd)")
                    }
                    let values = headers.reduce(Int64(0)) { sum, h in
                        sum + Int64(h.dataPageHeader?.numValues ?? h.dataPageHeaderV2?.numValues ?? 0)
                    }
                    #expect(values == m.numValues, "\(name) \(m.pathInSchema)")
                    for h in headers {
                        switch h.type {
                        case .dataPage: #expect(h.dataPageHeader != nil)
                        case .dataPageV2: #expect(h.dataPageHeaderV2 != nil)
                        case .dictionaryPage: #expect(h.dictionaryPageHeader != nil)
                        default: Issue.record("\(name): page type \(h.type)")
                        }
                        // and each header survives our own round trip
                        let back = try h.encoded().withUnsafeBytes { try PageHeader.decode($0) }
                        #expect(back.header == h)
                    }
                }
            }
            files += 1
        }
        #expect(files >= 40)
    }

    @Test func alltypesPlain() throws {
        let (_, md) = try FooterCorpus.footer(FooterCorpus.root.appendingPathComponent("data/alltypes_plain.parquet"))
        #expect(md.schema.count == 12)
        #expect(md.schema[0].numChildren == 11)
        #expect(md.schema.dropFirst().allSatisfy { $0.repetitionType == .optional })
        #expect(md.numRows == 8)
        #expect(md.rowGroups.count == 1)
        #expect(md.rowGroups[0].numRows == 8)
        #expect(md.rowGroups[0].columns.count == 11)
        #expect(md.schema.map(\.name).prefix(3) == ["schema", "id", "bool_col"])
        #expect(md.schema.map(\.type) == [nil, .int32, .boolean, .int32, .int32, .int32, .int64, .float, .double, .byteArray, .byteArray, .int96])
        #expect(md.createdBy?.hasPrefix("impala") == true)
        let id = try #require(md.rowGroups[0].columns[0].metaData)
        #expect(id.pathInSchema == ["id"])
        #expect(id.codecRaw == 0)
        #expect(id.dictionaryPageOffset == 4)
        #expect(id.encodings == [.rle, .plainDictionary, .plain])
    }

    @Test func footerFacts() throws {
        func footer(_ name: String) throws -> FileMetaData { try FooterCorpus.footer(FooterCorpus.root.appendingPathComponent(name)).metadata }

        let unknown = try footer("data/unknown-logical-type.parquet")
        #expect(unknown.schema.map(\.logicalType) == [nil, .string, .unknown(fieldId: 2555)])

        let sorted = try footer("data/sort_columns.parquet")
        #expect(sorted.rowGroups.count == 2)
        #expect(sorted.rowGroups[0].sortingColumns == [
            SortingColumn(columnIdx: 0, descending: true, nullsFirst: true),
            SortingColumn(columnIdx: 1, descending: false, nullsFirst: false),
        ])

        let kv = try footer("data/column_chunk_key_value_metadata.parquet")
        #expect(kv.rowGroups[0].columns[0].metaData?.keyValueMetadata == [
            KeyValue(key: "foo", value: "bar"), KeyValue(key: "thisiskeywithoutvalue"),
        ])

        let bloom = try footer("data/data_index_bloom_encoding_stats.parquet")
        let bm = try #require(bloom.rowGroups[0].columns[0].metaData)
        #expect(bm.bloomFilterOffset != nil)
        #expect(bm.encodingStats?.isEmpty == false)
        #expect(bm.statistics?.minValue == Array("Hello".utf8))
        #expect(bm.codecRaw == 2)

        // Dremio: dictionary_page_offset 0 without a dictionary, and its own list in ColumnMetaData field 15
        let dremio = try footer("data/dict-page-offset-zero.parquet")
        #expect(dremio.rowGroups[0].columns[0].metaData?.dictionaryPageOffset == 0)
        #expect(dremio.rowGroups[0].columns[0].metaData?.bloomFilterLength == nil)

        let decimal = try footer("data/byte_array_decimal.parquet")
        #expect(decimal.rowGroups[0].columns[0].metaData?.encodings == [])
        #expect(decimal.schema[1].convertedType == .decimal)

        let ts = try footer("data/alltypes_tiny_pages.parquet")
        #expect(ts.schema.contains { $0.logicalType == .integer(bitWidth: 8, isSigned: true) })
        #expect(ts.columnOrders?.count == 13)
        #expect(ts.columnOrders?.allSatisfy { $0 == .typeDefined } == true)
    }

    @Test func fortyThousandPageHeaders() throws {
        let (bytes, md) = try FooterCorpus.footer(FooterCorpus.root.appendingPathComponent("data/overflow_i16_page_cnt.parquet"))
        let m = try #require(md.rowGroups.first?.columns.first?.metaData)
        let clock = ContinuousClock()
        let start = clock.now
        let (headers, _) = try walkPageHeaders(bytes, m)
        let elapsed = clock.now - start
        #expect(headers.count == 40_000)
        #expect(elapsed < .seconds(5), "40,000 page headers took \(elapsed)")
        print("40,000 page headers decoded in \(elapsed)")
    }

    @Test func badDataFooters() throws {
        let root = FooterCorpus.root.appendingPathComponent("bad_data")
        // PARQUET-1481: a corrupted schema with physical type -7
        let e = thriftError { _ = try FooterCorpus.footer(root.appendingPathComponent("PARQUET-1481.parquet")) }
        #expect(e?.message == "invalid physical type -7")
        #expect(e?.description.contains("at byte") == true)
        // ARROW-GH-41317: a list<i16> where ColumnMetaData.encodings (list<i32>) belongs
        let l = thriftError { _ = try FooterCorpus.footer(root.appendingPathComponent("ARROW-GH-41317.parquet")) }
        #expect(l?.message.contains("ColumnMetaData.encodings") == true)
        // The others have sound footers; their faults are in the pages.
        for name in ["ARROW-GH-41321", "ARROW-GH-43605", "ARROW-GH-45185", "ARROW-GH-47662", "ARROW-RS-GH-6229-DICTHEADER",
            "ARROW-RS-GH-6229-LEVELS"]
        {
            #expect(throws: Never.self, "\(name)") { _ = try FooterCorpus.footer(root.appendingPathComponent(name + ".parquet")) }
        }
        // 6229-DICTHEADER: the first data page header has num_values as an i16, so the required field is missing
        let (bytes, md) = try FooterCorpus.footer(root.appendingPathComponent("ARROW-RS-GH-6229-DICTHEADER.parquet"))
        let m = try #require(md.rowGroups[0].columns[0].metaData)
        let p = thriftError { _ = try walkPageHeaders(bytes, m) }
        #expect(p?.message == "required field DataPageHeader.num_values is missing")
    }

    @Test func truncatedAndMutatedRealFootersNeverCrash() throws {
        for name in ["alltypes_plain.parquet", "datapage_v2.snappy.parquet", "unknown-logical-type.parquet"] {
            let bytes = [UInt8](try Data(contentsOf: FooterCorpus.root.appendingPathComponent("data/" + name)))
            let footer = Array(bytes[try FooterCorpus.footerRange(bytes)])
            for n in 0..<footer.count {
                let prefix = Array(footer.prefix(n))
                #expect(thriftError { _ = try prefix.withUnsafeBytes { try FileMetaData.decode($0) } } != nil)
            }
            var rng = SeededRNG(seed: UInt64(footer.count))
            for _ in 0..<2_000 {
                var m = footer
                m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next())
                _ = try? m.withUnsafeBytes { try FileMetaData.decode($0) }
            }
        }
    }
}
