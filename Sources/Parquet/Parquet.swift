/// Pure-Swift Parquet: Thrift compact metadata, pages, encodings, column readers producing `ColumnBatch`,
/// and a writer. Knows nothing of stores, S3 or pipelines.
public enum ParquetFormat {
    /// The 4-byte magic at the start and end of every Parquet file.
    public static let magic: [UInt8] = Array("PAR1".utf8)
}
