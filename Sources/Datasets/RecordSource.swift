// The seam between file formats and the jobs that read them: a `FileFormat` opens one object (a `ByteSource`)
// as a `RecordSource`, which yields row blocks. A new format is one new file with one conformer, listed in
// `FileFormats.all`.

import Aggregation
import Parquet

/// What integers in an event-time column count since the epoch.
public enum EpochUnit: String, Sendable {
    case s, ms, us, ns

    /// Multiply (positive) or divide (negative) to get milliseconds.
    public func toMillis(_ v: Int64) -> Int64 {
        switch self {
        case .s: return v &* 1000
        case .ms: return v
        case .us: return v >= 0 ? v / 1000 : (v - 999) / 1000
        case .ns: return v >= 0 ? v / 1_000_000 : (v - 999_999) / 1_000_000
        }
    }
}

/// What a reader of an object wants from it.
public struct RecordRequest: Sendable {
    /// The columns (top-level names or dotted paths) to read; a Hive partition key of the object need not be in it.
    public var columns: [String]
    /// The column whose value is a row's event time (for Parquet it may also be a partition key of the object).
    public var eventTimeColumn: String
    /// How integer event times count.
    public var eventTimeUnit: EpochUnit
    /// Verify page checksums where the format has them.
    public var verifyChecksums: Bool

    public init(columns: [String], eventTimeColumn: String, eventTimeUnit: EpochUnit = .ms, verifyChecksums: Bool = true) {
        self.columns = columns
        self.eventTimeColumn = eventTimeColumn
        self.eventTimeUnit = eventTimeUnit
        self.verifyChecksums = verifyChecksums
    }
}

/// What a format knows about a block before reading it.
public struct BlockStatistics: Sendable, Equatable {
    /// Rows in the block.
    public var rows: Int
    /// The smallest and largest event time (epoch ms) of its rows; every row has one.
    public var eventTimeMin: Int64
    public var eventTimeMax: Int64

    public init(rows: Int, eventTimeMin: Int64, eventTimeMax: Int64) {
        self.rows = rows
        self.eventTimeMin = eventTimeMin
        self.eventTimeMax = eventTimeMax
    }
}

/// One object opened for reading: its rows, a block at a time, in order.
///
/// Columns are those of the request (missing ones absent or null, per format) plus the object's Hive partition
/// values as constants; event times are decoded to epoch ms. Memory is bounded by one block.
public protocol RecordSource: AnyObject {
    /// The object being read.
    var file: DatasetFile { get }
    /// The next block's row count and event-time span when the format knows them without reading its rows
    /// (Parquet: row-group statistics); nil when unknown or at the end.
    func nextBlockStatistics() -> BlockStatistics?
    /// Skips the next block unread (call only after `nextBlockStatistics()` returned statistics for it).
    func skipBlock()
    /// Reads the next block; nil at the end. Throws for an object that cannot be read (naming it and where).
    func nextBlock() async throws -> RowBlock?
}

/// A file format: which file names discovery keeps, and how one object becomes a `RecordSource`.
public protocol FileFormat: Sendable {
    /// The name a job config gives (`source.format`).
    var name: String { get }
    /// File name endings of this format's data files.
    var suffixes: [String] { get }
    /// Opens `file`, whose bytes `source` reads, for `request`.
    func open(_ source: any ByteSource, file: DatasetFile, request: RecordRequest) async throws -> any RecordSource
}

/// The formats Backfill reads, by name.
public enum FileFormats {
    public static let all: [any FileFormat] = [ParquetFormat(), JSONLinesFormat()]

    public static func named(_ name: String) -> (any FileFormat)? {
        all.first { $0.name == name }
    }
}

/// A requested column the object does not have (formats with a schema say so before reading a row).
public struct MissingColumnError: Error, CustomStringConvertible, Sendable {
    public var column: String
    public var file: String
    /// The columns the object has.
    public var available: [String]

    public init(column: String, file: String, available: [String]) {
        self.column = column
        self.file = file
        self.available = available
    }

    public var description: String {
        "column '\(column)' is not in \(file) (columns: \(available.joined(separator: ", ")))"
    }
}

extension RecordRequest {
    /// The object's partition values as constant columns, where no column of the file has the name.
    func addingPartitions(of file: DatasetFile, to columns: inout [String: BlockColumn]) {
        for p in file.partitions where columns[p.key] == nil { columns[p.key] = .constant(p.value) }
    }
}

/// The UTC calendar event-time text is parsed with.
enum EventTimeCalendar {
    private static let made = Result { try BucketCalendar(timeZone: "UTC") }
    static func utc() throws -> BucketCalendar { try made.get() }
}
