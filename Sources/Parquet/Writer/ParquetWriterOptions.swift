import Compression

/// How a `ParquetWriter` lays out and encodes a file.
public struct ParquetWriterOptions: Sendable {
    /// Page compression: uncompressed, snappy, gzip, zstd, or any other codec `Codecs.compress` supports here.
    public var codec: CompressionCodec = .snappy
    /// Codec-specific level (`nil`: the codec's default). See `Codecs.compress`.
    public var compressionLevel: Int? = nil
    /// 1: DATA_PAGE (levels and values compressed together); 2: DATA_PAGE_V2 (levels stored uncompressed).
    public var dataPageVersion: Int = 1
    /// Dictionary-encode columns (not BOOLEAN): a PLAIN dictionary page, then RLE_DICTIONARY data pages.
    /// When a chunk's dictionary would grow past `dictionaryPageSizeLimit`, the remaining pages of that chunk are
    /// written PLAIN (the pages already written keep the dictionary), as parquet-mr and Arrow do.
    public var dictionary: Bool = true
    /// Name the encodings of dictionary pages and of dictionary-encoded v1 data pages PLAIN_DICTIONARY, as
    /// parquet-mr's v1 writer (Spark's default) does, instead of PLAIN and RLE_DICTIONARY (Arrow, and the
    /// specification since 2.0). The bytes are the same; only the names differ. DATA_PAGE_V2 pages always use RLE_DICTIONARY.
    public var legacyDictionaryEncoding: Bool = false
    /// Largest PLAIN-encoded dictionary page, in bytes.
    public var dictionaryPageSizeLimit: Int = 1 << 20
    /// Target uncompressed size of a data page's values and levels, in bytes.
    public var dataPageSize: Int = 1 << 20
    /// Most rows (values) per data page, whatever their size (parquet-mr and Arrow use 20 000).
    public var dataPageRowLimit: Int = 20_000
    /// Target size of a row group in bytes, measured on the buffered input: the PLAIN-encoded size of its values
    /// plus two bytes per level, before dictionary encoding and compression (so the row group on disk is at most
    /// this large, usually several times smaller). This is also the bound on the writer's buffered memory.
    /// A `write` call may be split across row groups; a row group never splits a record.
    public var rowGroupSize: Int = 128 << 20
    /// Most rows (records) per row group, whatever their size.
    public var rowGroupRowLimit: Int = 64 << 20
    /// Write min/max/null_count statistics for each column chunk and in each data page header.
    public var writeStatistics: Bool = true
    /// Min/max values longer than this many bytes are left out of the statistics (null_count stays), unless
    /// `statisticsTruncateLength` shortens them first.
    public var maxStatisticsSize: Int = 4096
    /// Truncate min/max of byte-string columns (BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY, not DECIMAL) in chunk and page
    /// statistics to this many bytes, as parquet-mr's `parquet.statistics.truncate.length` does: the minimum is
    /// cut to a prefix, the maximum to a prefix with its last byte (for STRING, its last character) incremented,
    /// both marked inexact. nil: never truncate.
    public var statisticsTruncateLength: Int? = nil
    /// Write the page index (a ColumnIndex and an OffsetIndex per column chunk, ahead of the footer) so engines
    /// can skip pages. Columns without an order (INT96) get an OffsetIndex only.
    public var writePageIndex: Bool = true
    /// Truncation of byte-string min/max values in the ColumnIndex (parquet-mr's `parquet.columnindex.truncate.length`, 64).
    public var columnIndexTruncateLength: Int = 64
    /// Per-column settings, by dotted path (`a`, `s.b`, `l.list.element`); they override the settings above.
    public var columns: [String: ParquetColumnOptions] = [:]
    /// Store the CRC32 of every page in its header.
    public var writePageChecksums: Bool = false
    /// The `created_by` string, e.g. Spark's "parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)".
    public var createdBy: String = "backfill"
    /// File-level key/value metadata (e.g. `org.apache.spark.sql.parquet.row.metadata`).
    public var keyValueMetadata: [KeyValue] = []
    /// Name of the schema's root group: "schema" (Arrow) or "spark_schema" (Spark).
    public var schemaName: String = "schema"

    public init() {}

    public init(codec: CompressionCodec = .snappy, dataPageVersion: Int = 1, dictionary: Bool = true,
                dataPageSize: Int = 1 << 20, rowGroupSize: Int = 128 << 20, writeStatistics: Bool = true,
                writePageChecksums: Bool = false, createdBy: String = "backfill", keyValueMetadata: [KeyValue] = []) {
        self.codec = codec
        self.dataPageVersion = dataPageVersion
        self.dictionary = dictionary
        self.dataPageSize = dataPageSize
        self.rowGroupSize = rowGroupSize
        self.writeStatistics = writeStatistics
        self.writePageChecksums = writePageChecksums
        self.createdBy = createdBy
        self.keyValueMetadata = keyValueMetadata
    }

    /// Throws `ParquetError.invalidArgument` for values the writer cannot honour.
    func validate() throws {
        func bad(_ message: String) -> ParquetError { .invalidArgument("writer options: \(message)") }
        guard dataPageVersion == 1 || dataPageVersion == 2 else { throw bad("dataPageVersion must be 1 or 2, not \(dataPageVersion)") }
        guard rowGroupSize > 0 else { throw bad("rowGroupSize must be positive, not \(rowGroupSize)") }
        guard rowGroupRowLimit > 0 else { throw bad("rowGroupRowLimit must be positive, not \(rowGroupRowLimit)") }
        if let n = statisticsTruncateLength { guard n > 0 else { throw bad("statisticsTruncateLength must be positive, not \(n)") } }
        guard columnIndexTruncateLength > 0 else { throw bad("columnIndexTruncateLength must be positive, not \(columnIndexTruncateLength)") }
        guard dataPageSize > 0 else { throw bad("dataPageSize must be positive, not \(dataPageSize)") }
        guard dataPageRowLimit > 0 else { throw bad("dataPageRowLimit must be positive, not \(dataPageRowLimit)") }
        guard dictionaryPageSizeLimit >= 0 else { throw bad("dictionaryPageSizeLimit must not be negative") }
        guard maxStatisticsSize >= 0 else { throw bad("maxStatisticsSize must not be negative") }
        guard !schemaName.isEmpty else { throw bad("schemaName is empty") }
        try Self.validate(codec: codec, level: compressionLevel, bad)
    }

    static func validate(codec: CompressionCodec, level: Int?, _ bad: (String) -> ParquetError) throws {
        guard codec != .lzo else { throw bad("LZO compression is not supported") }
        guard Codecs.isAvailable(codec) else {
            throw bad("\(codec.name) compression is not available on this machine (its shared library could not be loaded)")
        }
        // Reject a bad compression level now rather than at the first page.
        do {
            _ = try [UInt8](repeating: 0, count: 16).withUnsafeBytes { try Codecs.compress(codec, $0, level: level) }
        } catch {
            throw bad("\(codec.name) compression with level \(level.map(String.init) ?? "default") fails: \(error)")
        }
    }
}
