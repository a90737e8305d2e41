import Compression

/// Settings of one column that override the writer's (`ParquetWriterOptions.columns`, by dotted path).
public struct ParquetColumnOptions: Sendable, Equatable {
    /// Value encoding of pages that are not dictionary-encoded (and of the pages after a dictionary fallback):
    /// PLAIN (any type), RLE (BOOLEAN), DELTA_BINARY_PACKED (INT32, INT64), DELTA_LENGTH_BYTE_ARRAY (BYTE_ARRAY),
    /// DELTA_BYTE_ARRAY (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY), BYTE_STREAM_SPLIT (FLOAT, DOUBLE, INT32, INT64,
    /// FIXED_LEN_BYTE_ARRAY). nil: PLAIN, or RLE for BOOLEAN in DATA_PAGE_V2 pages.
    public var encoding: Encoding?
    /// Dictionary-encode this column (nil: the writer's `dictionary`).
    public var dictionary: Bool?
    public var dictionaryPageSizeLimit: Int?
    /// The column's codec and level (nil: the writer's).
    public var codec: CompressionCodec?
    public var compressionLevel: Int?
    public var writeStatistics: Bool?

    public init(encoding: Encoding? = nil, dictionary: Bool? = nil, dictionaryPageSizeLimit: Int? = nil,
                codec: CompressionCodec? = nil, compressionLevel: Int? = nil, writeStatistics: Bool? = nil) {
        self.encoding = encoding
        self.dictionary = dictionary
        self.dictionaryPageSizeLimit = dictionaryPageSizeLimit
        self.codec = codec
        self.compressionLevel = compressionLevel
        self.writeStatistics = writeStatistics
    }
}

/// The effective settings of one leaf column: the writer's options with the column's overrides applied.
struct ColumnSettings: Sendable {
    var encoding: Encoding?
    var dictionary: Bool
    var dictionaryPageSizeLimit: Int
    var codec: CompressionCodec
    var compressionLevel: Int?
    var writeStatistics: Bool

    /// The encodings a physical type can be written in (besides the dictionary).
    static func allowedEncodings(_ physical: PhysicalType) -> [Encoding] {
        switch physical {
        case .boolean: return [.plain, .rle]
        case .int32, .int64: return [.plain, .deltaBinaryPacked, .byteStreamSplit]
        case .int96: return [.plain]
        case .float, .double: return [.plain, .byteStreamSplit]
        case .byteArray: return [.plain, .deltaLengthByteArray, .deltaByteArray]
        case .fixedLenByteArray: return [.plain, .deltaByteArray, .byteStreamSplit]
        }
    }

    init(column: ResolvedColumn, options: ParquetWriterOptions) throws {
        let own = options.columns[column.dottedPath] ?? ParquetColumnOptions()
        func bad(_ message: String) -> ParquetError {
            .invalidArgument("writer options: column '\(column.dottedPath)': \(message)")
        }
        if let e = own.encoding {
            let allowed = Self.allowedEncodings(column.physical)
            guard allowed.contains(e) else {
                throw bad("encoding \(e) cannot encode \(column.physical) (allowed: \(allowed.map { "\($0)" }.joined(separator: ", ")); for a dictionary set `dictionary`)")
            }
        }
        encoding = own.encoding
        dictionary = (own.dictionary ?? options.dictionary) && column.physical != .boolean
        dictionaryPageSizeLimit = own.dictionaryPageSizeLimit ?? options.dictionaryPageSizeLimit
        guard dictionaryPageSizeLimit >= 0 else { throw bad("dictionaryPageSizeLimit must not be negative") }
        codec = own.codec ?? options.codec
        compressionLevel = own.codec == nil && own.compressionLevel == nil ? options.compressionLevel : own.compressionLevel
        if own.codec != nil || own.compressionLevel != nil {
            try ParquetWriterOptions.validate(codec: codec, level: compressionLevel, bad)
        }
        writeStatistics = own.writeStatistics ?? options.writeStatistics
    }
}
