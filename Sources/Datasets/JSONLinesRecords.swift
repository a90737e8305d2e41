// JSON Lines as a record source: a block of lines at a time, read sequentially through the object's
// `ByteSource` (gzip decompressed as a stream), so memory is bounded by a block, never the object.

import Aggregation
import Parquet

/// JSON Lines files, plain or gzip-compressed.
public struct JSONLinesFormat: FileFormat {
    public let name = "jsonl"
    public let suffixes = [".jsonl", ".jsonl.gz", ".json.gz", ".json", ".ndjson", ".ndjson.gz"]
    /// Bytes read from the object at a time (one ranged GET on S3).
    public var readChunk: Int
    /// The most lines in a block.
    public var blockRows: Int

    public init(readChunk: Int = 4 << 20, blockRows: Int = 8192) {
        self.readChunk = readChunk
        self.blockRows = blockRows
    }

    public func open(_ source: any ByteSource, file: DatasetFile, request: RecordRequest) async throws -> any RecordSource {
        // Local files are read in small chunks (the page cache does the rest); remote objects in large ranged reads.
        let chunk = source is LocalFileSource ? min(readChunk, JSONLinesReader.localReadChunk) : readChunk
        let reader = try await JSONLinesReader(source: source, fields: request.columns, blockRows: blockRows, readChunk: chunk)
        return JSONLinesRecordSource(reader: reader, file: file, request: request, utc: try EventTimeCalendar.utc())
    }
}

/// The lines of one JSON Lines object, a block at a time. Missing fields are null; no block statistics.
final class JSONLinesRecordSource: RecordSource {
    private var reader: JSONLinesReader
    let file: DatasetFile
    let request: RecordRequest
    let utc: BucketCalendar
    /// Where the event-time field is among the requested columns.
    private let eventIndex: Int?

    init(reader: JSONLinesReader, file: DatasetFile, request: RecordRequest, utc: BucketCalendar) {
        self.reader = reader
        self.file = file
        self.request = request
        self.utc = utc
        eventIndex = request.columns.firstIndex(of: request.eventTimeColumn)
    }

    func nextBlockStatistics() -> BlockStatistics? { nil }

    func skipBlock() {}

    func nextBlock() async throws -> RowBlock? {
        guard let jb = try await reader.next() else { return nil }
        let rejected = jb.rejected.map { RejectedRecord(position: "line \($0.lineNumber)", reason: $0.reason, text: $0.text) }
        let n = jb.lineNumbers.count
        var columns: [String: BlockColumn] = [:]
        for (i, name) in request.columns.enumerated() {
            columns[name] = .scalars(jb.columns[i].map { s -> ScalarValue? in
                switch s {
                case .null: return nil
                case .bool(let b): return .bool(b)
                case .int(let v): return .int(v)
                case .double(let d): return .double(d)
                case .string(let t): return .string(t)
                case .other(let t): return .string(t)
                }
            })
        }
        request.addingPartitions(of: file, to: &columns)
        var millis = [Int64](repeating: 0, count: n)
        var valid = [Bool](repeating: true, count: n)
        var errors: [Int: String] = [:]
        let unit = request.eventTimeUnit
        for i in 0..<n {
            switch eventIndex.map({ jb.columns[$0][i] }) ?? .null {
            case .int(let v): millis[i] = unit.toMillis(v)
            case .double(let d):
                // Int64(d) traps outside its range: such a time is a rejected row, not a crash.
                if let v = Int64(exactly: d.rounded(.towardZero)) { millis[i] = unit.toMillis(v) } else {
                    valid[i] = false
                    errors[i] = "event time \(d) is out of range"
                }
            case .string(let t):
                if let v = try? utc.parseTime(t) { millis[i] = v } else {
                    valid[i] = false
                    errors[i] = "event time '\(t)' is not an RFC 3339 time"
                }
            default:
                valid[i] = false
                errors[i] = "no event time (\(request.eventTimeColumn) is missing or null)"
            }
        }
        return RowBlock(count: n, firstRow: 0, lineNumbers: jb.lineNumbers, eventMillis: millis, eventValid: valid,
                        eventErrors: errors, columns: columns, rejected: rejected)
    }
}
