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
    /// Most rows per row group; a `write` call may be split across row groups.
    public var rowGroupSize: Int = 1 << 20
    /// Write min/max/null_count statistics for each column chunk and in each data page header.
    public var writeStatistics: Bool = true
    /// Min/max values longer than this many bytes are left out of the statistics (null_count stays).
    public var maxStatisticsSize: Int = 4096
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
                dataPageSize: Int = 1 << 20, rowGroupSize: Int = 1 << 20, writeStatistics: Bool = true,
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
        guard dataPageSize > 0 else { throw bad("dataPageSize must be positive, not \(dataPageSize)") }
        guard dataPageRowLimit > 0 else { throw bad("dataPageRowLimit must be positive, not \(dataPageRowLimit)") }
        guard dictionaryPageSizeLimit >= 0 else { throw bad("dictionaryPageSizeLimit must not be negative") }
        guard maxStatisticsSize >= 0 else { throw bad("maxStatisticsSize must not be negative") }
        guard !schemaName.isEmpty else { throw bad("schemaName is empty") }
        guard codec != .lzo else { throw bad("LZO compression is not supported") }
        guard Codecs.isAvailable(codec) else {
            throw bad("\(codec.name) compression is not available on this machine (its shared library could not be loaded)")
        }
        // Reject a bad compression level now rather than at the first page.
        do {
            _ = try [UInt8](repeating: 0, count: 16).withUnsafeBytes { try Codecs.compress(codec, $0, level: compressionLevel) }
        } catch {
            throw bad("\(codec.name) compression with level \(compressionLevel.map(String.init) ?? "default") fails: \(error)")
        }
    }
}
