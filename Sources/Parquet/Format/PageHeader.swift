/// `DataPageHeader` (DATA_PAGE, v1).
public struct DataPageHeader: Sendable, Equatable {
    /// Number of values including nulls.
    public var numValues: Int32  // 1
    public var encoding: Encoding  // 2
    public var definitionLevelEncoding: Encoding  // 3
    public var repetitionLevelEncoding: Encoding  // 4
    public var statistics: Statistics?  // 5

    public init(
        numValues: Int32, encoding: Encoding, definitionLevelEncoding: Encoding, repetitionLevelEncoding: Encoding,
        statistics: Statistics? = nil
    ) {
        self.numValues = numValues
        self.encoding = encoding
        self.definitionLevelEncoding = definitionLevelEncoding
        self.repetitionLevelEncoding = repetitionLevelEncoding
        self.statistics = statistics
    }
}

extension DataPageHeader: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var numValues: Int32?
        var encoding: Int32?
        var defEncoding: Int32?
        var repEncoding: Int32?
        var statistics: Statistics?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                numValues = try r.readI32()
            case 2 where f.type == .i32:
                encoding = try r.readI32()
            case 3 where f.type == .i32:
                defEncoding = try r.readI32()
            case 4 where f.type == .i32:
                repEncoding = try r.readI32()
            case 5 where f.type == .structure:
                statistics = try Statistics(from: &r)
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let numValues else { throw r.missing("DataPageHeader", "num_values") }
        guard let encoding else { throw r.missing("DataPageHeader", "encoding") }
        guard let defEncoding else { throw r.missing("DataPageHeader", "definition_level_encoding") }
        guard let repEncoding else { throw r.missing("DataPageHeader", "repetition_level_encoding") }
        self.init(
            numValues: numValues, encoding: Encoding(rawValue: encoding),
            definitionLevelEncoding: Encoding(rawValue: defEncoding),
            repetitionLevelEncoding: Encoding(rawValue: repEncoding), statistics: statistics)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: encoding.rawValue)
        w.writeField(3, i32: definitionLevelEncoding.rawValue)
        w.writeField(4, i32: repetitionLevelEncoding.rawValue)
        w.writeField(5, struct: statistics)
        w.endStruct(s)
    }
}

/// `DictionaryPageHeader`.
public struct DictionaryPageHeader: Sendable, Equatable {
    public var numValues: Int32  // 1
    public var encoding: Encoding  // 2
    public var isSorted: Bool?  // 3

    public init(numValues: Int32, encoding: Encoding, isSorted: Bool? = nil) {
        self.numValues = numValues
        self.encoding = encoding
        self.isSorted = isSorted
    }
}

extension DictionaryPageHeader: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var numValues: Int32?
        var encoding: Int32?
        var isSorted: Bool?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                numValues = try r.readI32()
            case 2 where f.type == .i32:
                encoding = try r.readI32()
            case 3 where f.type.isBool:
                isSorted = f.boolValue
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let numValues else { throw r.missing("DictionaryPageHeader", "num_values") }
        guard let encoding else { throw r.missing("DictionaryPageHeader", "encoding") }
        self.init(numValues: numValues, encoding: Encoding(rawValue: encoding), isSorted: isSorted)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: encoding.rawValue)
        w.writeField(3, bool: isSorted)
        w.endStruct(s)
    }
}

/// `DataPageHeaderV2` (DATA_PAGE_V2): levels are stored uncompressed ahead of the (possibly compressed) values.
public struct DataPageHeaderV2: Sendable, Equatable {
    public var numValues: Int32  // 1
    public var numNulls: Int32  // 2
    public var numRows: Int32  // 3
    public var encoding: Encoding  // 4
    public var definitionLevelsByteLength: Int32  // 5
    public var repetitionLevelsByteLength: Int32  // 6
    /// Whether the values section is compressed; absent means true.
    public var isCompressed: Bool  // 7
    public var statistics: Statistics?  // 8

    public init(
        numValues: Int32, numNulls: Int32, numRows: Int32, encoding: Encoding, definitionLevelsByteLength: Int32,
        repetitionLevelsByteLength: Int32, isCompressed: Bool = true, statistics: Statistics? = nil
    ) {
        self.numValues = numValues
        self.numNulls = numNulls
        self.numRows = numRows
        self.encoding = encoding
        self.definitionLevelsByteLength = definitionLevelsByteLength
        self.repetitionLevelsByteLength = repetitionLevelsByteLength
        self.isCompressed = isCompressed
        self.statistics = statistics
    }
}

extension DataPageHeaderV2: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var numValues: Int32?
        var numNulls: Int32?
        var numRows: Int32?
        var encoding: Int32?
        var defLength: Int32?
        var repLength: Int32?
        var isCompressed = true
        var statistics: Statistics?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                numValues = try r.readI32()
            case 2 where f.type == .i32:
                numNulls = try r.readI32()
            case 3 where f.type == .i32:
                numRows = try r.readI32()
            case 4 where f.type == .i32:
                encoding = try r.readI32()
            case 5 where f.type == .i32:
                defLength = try r.readI32()
            case 6 where f.type == .i32:
                repLength = try r.readI32()
            case 7 where f.type.isBool:
                isCompressed = f.boolValue
            case 8 where f.type == .structure:
                statistics = try Statistics(from: &r)
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let numValues else { throw r.missing("DataPageHeaderV2", "num_values") }
        guard let numNulls else { throw r.missing("DataPageHeaderV2", "num_nulls") }
        guard let numRows else { throw r.missing("DataPageHeaderV2", "num_rows") }
        guard let encoding else { throw r.missing("DataPageHeaderV2", "encoding") }
        guard let defLength else { throw r.missing("DataPageHeaderV2", "definition_levels_byte_length") }
        guard let repLength else { throw r.missing("DataPageHeaderV2", "repetition_levels_byte_length") }
        guard defLength >= 0 else {
            throw r.fail("DataPageHeaderV2.definition_levels_byte_length is negative (\(defLength))")
        }
        guard repLength >= 0 else {
            throw r.fail("DataPageHeaderV2.repetition_levels_byte_length is negative (\(repLength))")
        }
        self.init(
            numValues: numValues, numNulls: numNulls, numRows: numRows, encoding: Encoding(rawValue: encoding),
            definitionLevelsByteLength: defLength, repetitionLevelsByteLength: repLength,
            isCompressed: isCompressed, statistics: statistics)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: numNulls)
        w.writeField(3, i32: numRows)
        w.writeField(4, i32: encoding.rawValue)
        w.writeField(5, i32: definitionLevelsByteLength)
        w.writeField(6, i32: repetitionLevelsByteLength)
        w.writeField(7, bool: isCompressed)
        w.writeField(8, struct: statistics)
        w.endStruct(s)
    }
}

/// `PageHeader`: precedes every page in a column chunk.
public struct PageHeader: Sendable, Equatable {
    public var type: PageType  // 1
    /// Size of the page body after decompression (for v2 pages: levels + decompressed values).
    public var uncompressedPageSize: Int32  // 2
    /// Size of the page body as stored, i.e. the bytes following this header.
    public var compressedPageSize: Int32  // 3
    /// CRC32 of the stored page body.
    public var crc: Int32?  // 4
    public var dataPageHeader: DataPageHeader?  // 5
    // 6 index_page_header is skipped.
    public var dictionaryPageHeader: DictionaryPageHeader?  // 7
    public var dataPageHeaderV2: DataPageHeaderV2?  // 8

    public init(
        type: PageType, uncompressedPageSize: Int32, compressedPageSize: Int32, crc: Int32? = nil,
        dataPageHeader: DataPageHeader? = nil, dictionaryPageHeader: DictionaryPageHeader? = nil,
        dataPageHeaderV2: DataPageHeaderV2? = nil
    ) {
        self.type = type
        self.uncompressedPageSize = uncompressedPageSize
        self.compressedPageSize = compressedPageSize
        self.crc = crc
        self.dataPageHeader = dataPageHeader
        self.dictionaryPageHeader = dictionaryPageHeader
        self.dataPageHeaderV2 = dataPageHeaderV2
    }
}

extension PageHeader: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var type: Int32?
        var uncompressed: Int32?
        var compressed: Int32?
        var crc: Int32?
        var v1: DataPageHeader?
        var dictionary: DictionaryPageHeader?
        var v2: DataPageHeaderV2?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                type = try r.readI32()
            case 2 where f.type == .i32:
                uncompressed = try r.readI32()
            case 3 where f.type == .i32:
                compressed = try r.readI32()
            case 4 where f.type == .i32:
                crc = try r.readI32()
            case 5 where f.type == .structure:
                v1 = try DataPageHeader(from: &r)
            case 7 where f.type == .structure:
                dictionary = try DictionaryPageHeader(from: &r)
            case 8 where f.type == .structure:
                v2 = try DataPageHeaderV2(from: &r)
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let type else { throw r.missing("PageHeader", "type") }
        guard let uncompressed else { throw r.missing("PageHeader", "uncompressed_page_size") }
        guard let compressed else { throw r.missing("PageHeader", "compressed_page_size") }
        // Sizes drive the reader's byte arithmetic: reject negative ones here, where they are read.
        guard uncompressed >= 0 else { throw r.fail("PageHeader.uncompressed_page_size is negative (\(uncompressed))") }
        guard compressed >= 0 else { throw r.fail("PageHeader.compressed_page_size is negative (\(compressed))") }
        self.init(
            type: PageType(rawValue: type), uncompressedPageSize: uncompressed, compressedPageSize: compressed,
            crc: crc, dataPageHeader: v1, dictionaryPageHeader: dictionary, dataPageHeaderV2: v2)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: type.rawValue)
        w.writeField(2, i32: uncompressedPageSize)
        w.writeField(3, i32: compressedPageSize)
        w.writeField(4, i32: crc)
        w.writeField(5, struct: dataPageHeader)
        w.writeField(7, struct: dictionaryPageHeader)
        w.writeField(8, struct: dataPageHeaderV2)
        w.endStruct(s)
    }

    /// Decodes one header at the start of `bytes`; returns it and how many bytes it used.
    /// Negative page sizes (and negative v2 level lengths) are rejected.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> (header: PageHeader, length: Int) {
        var r = CompactReader(bytes)
        let header = try PageHeader(from: &r)
        return (header, r.position)
    }

    public func encoded() -> [UInt8] {
        var w = CompactWriter(capacity: 64)
        write(to: &w)
        return w.bytes
    }
}
