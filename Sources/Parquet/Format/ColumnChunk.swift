/// `KeyValue`: an application-defined metadata entry.
public struct KeyValue: Sendable, Equatable {
    public var key: String  // 1, required
    public var value: String?  // 2

    public init(key: String, value: String? = nil) {
        self.key = key
        self.value = value
    }
}

extension KeyValue: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var key: String?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .binary:
                key = try r.readString()
            case 2 where f.type == .binary:
                value = try r.readString()
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let key else { throw r.missing("KeyValue", "key") }
        self.key = key
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, string: key)
        w.writeField(2, string: value)
        w.endStruct(s)
    }
}

/// `PageEncodingStats`: how many pages of a type used an encoding.
public struct PageEncodingStats: Sendable, Equatable {
    public var pageType: PageType  // 1
    public var encoding: Encoding  // 2
    public var count: Int32  // 3

    public init(pageType: PageType, encoding: Encoding, count: Int32) {
        self.pageType = pageType
        self.encoding = encoding
        self.count = count
    }
}

extension PageEncodingStats: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var pageType: Int32?
        var encoding: Int32?
        var count: Int32?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                pageType = try r.readI32()
            case 2 where f.type == .i32:
                encoding = try r.readI32()
            case 3 where f.type == .i32:
                count = try r.readI32()
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let pageType else { throw r.missing("PageEncodingStats", "page_type") }
        guard let encoding else { throw r.missing("PageEncodingStats", "encoding") }
        guard let count else { throw r.missing("PageEncodingStats", "count") }
        self.init(pageType: PageType(rawValue: pageType), encoding: Encoding(rawValue: encoding), count: count)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: pageType.rawValue)
        w.writeField(2, i32: encoding.rawValue)
        w.writeField(3, i32: count)
        w.endStruct(s)
    }
}

/// `ColumnMetaData`: where a column chunk's pages are and how they are stored.
/// `codecRaw` is the raw `CompressionCodec` value (0 UNCOMPRESSED, 1 SNAPPY, 2 GZIP, 3 LZO, 4 BROTLI, 5 LZ4,
/// 6 ZSTD, 7 LZ4_RAW); the reader maps it to the Compression module's codec.
public struct ColumnMetaData: Sendable, Equatable {
    public var type: PhysicalType  // 1
    /// All encodings used in the chunk. Some writers leave it empty: never rely on it.
    public var encodings: [Encoding]  // 2
    public var pathInSchema: [String]  // 3
    public var codecRaw: Int32  // 4
    public var numValues: Int64  // 5
    public var totalUncompressedSize: Int64  // 6
    public var totalCompressedSize: Int64  // 7
    public var keyValueMetadata: [KeyValue]?  // 8
    public var dataPageOffset: Int64  // 9
    public var indexPageOffset: Int64?  // 10
    public var dictionaryPageOffset: Int64?  // 11
    public var statistics: Statistics?  // 12
    public var encodingStats: [PageEncodingStats]?  // 13
    public var bloomFilterOffset: Int64?  // 14
    public var bloomFilterLength: Int32?  // 15
    // 16 size_statistics and 17 geospatial_statistics are skipped.

    public init(
        type: PhysicalType, encodings: [Encoding], pathInSchema: [String], codecRaw: Int32, numValues: Int64,
        totalUncompressedSize: Int64, totalCompressedSize: Int64, keyValueMetadata: [KeyValue]? = nil,
        dataPageOffset: Int64, indexPageOffset: Int64? = nil, dictionaryPageOffset: Int64? = nil,
        statistics: Statistics? = nil, encodingStats: [PageEncodingStats]? = nil, bloomFilterOffset: Int64? = nil,
        bloomFilterLength: Int32? = nil
    ) {
        self.type = type
        self.encodings = encodings
        self.pathInSchema = pathInSchema
        self.codecRaw = codecRaw
        self.numValues = numValues
        self.totalUncompressedSize = totalUncompressedSize
        self.totalCompressedSize = totalCompressedSize
        self.keyValueMetadata = keyValueMetadata
        self.dataPageOffset = dataPageOffset
        self.indexPageOffset = indexPageOffset
        self.dictionaryPageOffset = dictionaryPageOffset
        self.statistics = statistics
        self.encodingStats = encodingStats
        self.bloomFilterOffset = bloomFilterOffset
        self.bloomFilterLength = bloomFilterLength
    }
}

extension ColumnMetaData: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var type: PhysicalType?
        var encodings: [Encoding]?
        var path: [String]?
        var codec: Int32?
        var numValues: Int64?
        var uncompressed: Int64?
        var compressed: Int64?
        var dataPageOffset: Int64?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                type = try PhysicalType.read(from: &r)
            case 2 where f.type == .list:
                encodings = try r.readList("ColumnMetaData.encodings", of: .i32) { Encoding(rawValue: try $0.readI32()) }
            case 3 where f.type == .list:
                path = try r.readList("ColumnMetaData.path_in_schema", of: .binary) { try $0.readString() }
            case 4 where f.type == .i32:
                codec = try r.readI32()
            case 5 where f.type == .i64:
                numValues = try r.readI64()
            case 6 where f.type == .i64:
                uncompressed = try r.readI64()
            case 7 where f.type == .i64:
                compressed = try r.readI64()
            case 8 where f.type == .list:
                keyValueMetadata = try r.readList("ColumnMetaData.key_value_metadata", of: .structure) {
                    try KeyValue(from: &$0)
                }
            case 9 where f.type == .i64:
                dataPageOffset = try r.readI64()
            case 10 where f.type == .i64:
                indexPageOffset = try r.readI64()
            case 11 where f.type == .i64:
                dictionaryPageOffset = try r.readI64()
            case 12 where f.type == .structure:
                statistics = try Statistics(from: &r)
            case 13 where f.type == .list:
                encodingStats = try r.readList("ColumnMetaData.encoding_stats", of: .structure) {
                    try PageEncodingStats(from: &$0)
                }
            case 14 where f.type == .i64:
                bloomFilterOffset = try r.readI64()
            case 15 where f.type == .i32:
                bloomFilterLength = try r.readI32()
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let type else { throw r.missing("ColumnMetaData", "type") }
        guard let encodings else { throw r.missing("ColumnMetaData", "encodings") }
        guard let path else { throw r.missing("ColumnMetaData", "path_in_schema") }
        guard let codec else { throw r.missing("ColumnMetaData", "codec") }
        guard let numValues else { throw r.missing("ColumnMetaData", "num_values") }
        guard let uncompressed else { throw r.missing("ColumnMetaData", "total_uncompressed_size") }
        guard let compressed else { throw r.missing("ColumnMetaData", "total_compressed_size") }
        guard let dataPageOffset else { throw r.missing("ColumnMetaData", "data_page_offset") }
        self.type = type
        self.encodings = encodings
        self.pathInSchema = path
        self.codecRaw = codec
        self.numValues = numValues
        self.totalUncompressedSize = uncompressed
        self.totalCompressedSize = compressed
        self.dataPageOffset = dataPageOffset
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: type.rawValue)
        w.writeField(2, list: encodings, of: .i32) { w, e in w.writeI32(e.rawValue) }
        w.writeField(3, list: pathInSchema, of: .binary) { w, p in w.writeString(p) }
        w.writeField(4, i32: codecRaw)
        w.writeField(5, i64: numValues)
        w.writeField(6, i64: totalUncompressedSize)
        w.writeField(7, i64: totalCompressedSize)
        w.writeField(8, structs: keyValueMetadata)
        w.writeField(9, i64: dataPageOffset)
        w.writeField(10, i64: indexPageOffset)
        w.writeField(11, i64: dictionaryPageOffset)
        w.writeField(12, struct: statistics)
        w.writeField(13, structs: encodingStats)
        w.writeField(14, i64: bloomFilterOffset)
        w.writeField(15, i32: bloomFilterLength)
        w.endStruct(s)
    }
}

/// `ColumnChunk`: one column of one row group.
public struct ColumnChunk: Sendable, Equatable {
    /// Set when the chunk lives in another file.
    public var filePath: String?  // 1
    /// Deprecated; "required" with default 0, so a missing value decodes as 0.
    public var fileOffset: Int64  // 2
    public var metaData: ColumnMetaData?  // 3
    public var offsetIndexOffset: Int64?  // 4
    public var offsetIndexLength: Int32?  // 5
    public var columnIndexOffset: Int64?  // 6
    public var columnIndexLength: Int32?  // 7
    // 8 crypto_metadata and 9 encrypted_column_metadata are skipped.

    public init(
        filePath: String? = nil, fileOffset: Int64 = 0, metaData: ColumnMetaData? = nil,
        offsetIndexOffset: Int64? = nil, offsetIndexLength: Int32? = nil, columnIndexOffset: Int64? = nil,
        columnIndexLength: Int32? = nil
    ) {
        self.filePath = filePath
        self.fileOffset = fileOffset
        self.metaData = metaData
        self.offsetIndexOffset = offsetIndexOffset
        self.offsetIndexLength = offsetIndexLength
        self.columnIndexOffset = columnIndexOffset
        self.columnIndexLength = columnIndexLength
    }
}

extension ColumnChunk: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        self.init()
        let saved = try r.beginStruct()
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .binary:
                filePath = try r.readString()
            case 2 where f.type == .i64:
                fileOffset = try r.readI64()
            case 3 where f.type == .structure:
                metaData = try ColumnMetaData(from: &r)
            case 4 where f.type == .i64:
                offsetIndexOffset = try r.readI64()
            case 5 where f.type == .i32:
                offsetIndexLength = try r.readI32()
            case 6 where f.type == .i64:
                columnIndexOffset = try r.readI64()
            case 7 where f.type == .i32:
                columnIndexLength = try r.readI32()
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, string: filePath)
        w.writeField(2, i64: fileOffset)
        w.writeField(3, struct: metaData)
        w.writeField(4, i64: offsetIndexOffset)
        w.writeField(5, i32: offsetIndexLength)
        w.writeField(6, i64: columnIndexOffset)
        w.writeField(7, i32: columnIndexLength)
        w.endStruct(s)
    }
}
