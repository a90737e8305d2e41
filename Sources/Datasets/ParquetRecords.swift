// Parquet as a record source: one row group is one block, read column by column into a `ColumnBatch` and kept
// columnar (dictionary codes of string columns stay codes); row-group statistics give event-time spans.

import Aggregation
import Parquet

/// Parquet files (`.parquet`, `.parq`).
public struct ParquetFormat: FileFormat {
    public let name = "parquet"
    public let suffixes = [".parquet", ".parq"]

    public init() {}

    public func open(_ source: any ByteSource, file: DatasetFile, request: RecordRequest) async throws -> any RecordSource {
        let reader = try await ParquetFileReader.open(source, options: ReadOptions(verifyChecksums: request.verifyChecksums))
        let partitionKeys = Set(file.partitions.map(\.key))
        var leaves: [(String, Int)] = []
        for name in request.columns {
            guard let leaf = ParquetBlocks.leaf(name, in: reader.schema) else {
                if partitionKeys.contains(name) { continue }
                throw MissingColumnError(column: name, file: file.path, available: reader.schema.columns.map(\.dottedPath))
            }
            leaves.append((name, leaf.index))
        }
        return ParquetRecordSource(reader: reader, file: file, request: request, leaves: leaves, utc: try EventTimeCalendar.utc())
    }
}

/// The row groups of one Parquet file, in order.
final class ParquetRecordSource: RecordSource {
    let reader: ParquetFileReader
    let file: DatasetFile
    let request: RecordRequest
    /// Requested columns the file has, with their leaf index.
    let leaves: [(String, Int)]
    let eventLeaf: Int?
    let utc: BucketCalendar
    private var group = 0
    private var firstRow = 0

    init(reader: ParquetFileReader, file: DatasetFile, request: RecordRequest, leaves: [(String, Int)], utc: BucketCalendar) {
        self.reader = reader
        self.file = file
        self.request = request
        self.leaves = leaves
        self.utc = utc
        eventLeaf = leaves.first(where: { $0.0 == request.eventTimeColumn })?.1
    }

    func nextBlockStatistics() -> BlockStatistics? {
        guard group < reader.metadata.rowGroups.count, let eventLeaf,
              let span = ParquetFormat.rowGroupSpan(reader, group: group, leaf: eventLeaf, unit: request.eventTimeUnit) else { return nil }
        return BlockStatistics(rows: Int(reader.metadata.rowGroups[group].numRows), eventTimeMin: span.min, eventTimeMax: span.max)
    }

    func skipBlock() {
        guard group < reader.metadata.rowGroups.count else { return }
        firstRow += Int(reader.metadata.rowGroups[group].numRows)
        group += 1
    }

    func nextBlock() async throws -> RowBlock? {
        guard group < reader.metadata.rowGroups.count else { return nil }
        let batch = try await reader.readRowGroup(group, columns: leaves.map(\.1))
        var columns: [String: BlockColumn] = [:]
        var eventColumn: Column?
        for (i, (name, _)) in leaves.enumerated() {
            if name == request.eventTimeColumn { eventColumn = batch.columns[i] }
            columns[name] = ParquetBlocks.column(batch.columns[i])
        }
        request.addingPartitions(of: file, to: &columns)
        let n = batch.rowCount
        var millis: [Int64]
        var valid: [Bool]?
        var errors: [Int: String] = [:]
        if let eventColumn {
            (millis, valid, errors) = ParquetBlocks.eventTimes(eventColumn, unit: request.eventTimeUnit, calendar: utc)
            if let v = valid {
                for i in 0..<n where !v[i] && errors[i] == nil { errors[i] = "no event time (\(request.eventTimeColumn) is null)" }
            }
        } else {
            // The event time is a partition value (e.g. dt=2026-05-08).
            guard let text = file.partitions.first(where: { $0.key == request.eventTimeColumn })?.value,
                  let t = try? utc.parseTime(text) else {
                throw RowError(file: file.path, position: "row \(firstRow)", reason: "no event time column '\(request.eventTimeColumn)'")
            }
            millis = [Int64](repeating: t, count: n)
        }
        let block = RowBlock(count: n, firstRow: firstRow, lineNumbers: nil, eventMillis: millis, eventValid: valid,
                             eventErrors: errors, columns: columns)
        firstRow += n
        group += 1
        return block
    }
}

extension ParquetFormat {
    /// The [min, max] event time (epoch ms) of a row group's event-time column from its statistics, when they can be
    /// trusted for that: an INT32/INT64 column (integer with the configured unit, DATE, or TIMESTAMP) with exact
    /// min/max and a null count of 0 (rows without an event time must be read to be rejected).
    static func rowGroupSpan(_ reader: ParquetFileReader, group: Int, leaf: Int, unit: EpochUnit) -> (min: Int64, max: Int64)? {
        let groups = reader.metadata.rowGroups
        guard group < groups.count, leaf < groups[group].columns.count, leaf < reader.schema.columns.count,
              let meta = groups[group].columns[leaf].metaData, let stats = meta.statistics, stats.nullCount == 0 else { return nil }
        let descriptor = reader.schema.columns[leaf]
        // min_value/max_value (the current fields) order by the logical type; the legacy min/max are signed for ints.
        guard let lo = stats.minValue ?? stats.min, let hi = stats.maxValue ?? stats.max else { return nil }
        func decode(_ bytes: [UInt8]) -> Int64? {
            switch descriptor.physicalType {
            case .int64:
                guard bytes.count == 8 else { return nil }
                var v: UInt64 = 0
                for (i, byte) in bytes.enumerated() { v |= UInt64(byte) << (8 * UInt64(i)) }
                return Int64(bitPattern: v)
            case .int32:
                guard bytes.count == 4 else { return nil }
                var v: UInt32 = 0
                for (i, byte) in bytes.enumerated() { v |= UInt32(byte) << (8 * UInt32(i)) }
                return Int64(Int32(bitPattern: v))
            default:
                return nil
            }
        }
        guard let a = decode(lo), let b = decode(hi), a <= b else { return nil }
        func millis(_ v: Int64) -> Int64? {
            switch ValueKind(descriptor) {
            case .timestamp(let u, _):
                switch u {
                case .millis: return v
                case .micros: return floorDiv(v, 1000)
                case .nanos: return floorDiv(v, 1_000_000)
                }
            case .date: return v &* 86_400_000
            case .signed: return unit.toMillis(v)
            default: return nil
            }
        }
        guard let x = millis(a), let y = millis(b) else { return nil }
        return (x, y)
    }
}

/// Builds row blocks from Parquet column batches.
enum ParquetBlocks {
    /// Leaf column index for a top-level (or dotted, non-repeated) column name.
    static func leaf(_ name: String, in schema: ParquetSchema) -> ColumnDescriptor? {
        schema.columns.first { $0.dottedPath == name && $0.maxRepetitionLevel == 0 }
            ?? schema.columns.first { $0.path.count == 1 && $0.path[0] == name && $0.maxRepetitionLevel == 0 }
    }

    /// Row-aligned column from a decoded leaf (nulls expanded by definition levels).
    static func column(_ c: Column) -> BlockColumn {
        let n = c.levelCount
        let maxDef = UInt16(c.descriptor.maxDefinitionLevel)
        let def = c.definitionLevels
        // Row index → value index (or -1 for null).
        func spaced<T>(_ dense: [T], fill: T) -> ([T], [Bool]?) {
            guard let def, dense.count != n else { return (dense, nil) }
            var out = [T](repeating: fill, count: n)
            var valid = [Bool](repeating: false, count: n)
            var k = 0
            for i in 0..<n where def[i] == maxDef {
                out[i] = dense[k]
                valid[i] = true
                k += 1
            }
            return (out, valid)
        }
        let kind = ValueKind(c.descriptor)
        switch c.values {
        case .dictionary(let dict, let codes):
            switch dict {
            case .byteArray(let d):
                let (spacedCodes, _) = spaced(codes, fill: -1)
                return .byteDictionary(entries: d, codes: spacedCodes)
            default:
                var plain = c
                plain.values = c.values.materialized
                return column(plain)
            }
        case .byteArray(let b):
            var out = [String?](repeating: nil, count: n)
            var k = 0
            for i in 0..<n where def == nil || def![i] == maxDef {
                out[i] = String(decoding: b[k], as: UTF8.self)
                k += 1
            }
            return .strings(out)
        case .int32(let v):
            let widened = kind == .unsigned ? v.map { Int64(UInt32(bitPattern: $0)) } : v.map(Int64.init)
            let (vals, valid) = spaced(widened, fill: 0)
            return .ints(vals, valid: valid)
        case .int64(let v):
            let (vals, valid) = spaced(v, fill: 0)
            return .ints(vals, valid: valid)
        case .float(let v):
            let (vals, valid) = spaced(v.map(Double.init), fill: 0)
            return .doubles(vals, valid: valid)
        case .double(let v):
            let (vals, valid) = spaced(v, fill: 0)
            return .doubles(vals, valid: valid)
        case .boolean(let v):
            let (vals, _) = spaced(v.map { Optional(ScalarValue.bool($0)) }, fill: nil)
            return .scalars(vals)
        case .int96(let v):
            let (vals, valid) = spaced(v.map { $0.sparkMicros }, fill: 0)
            return .ints(vals, valid: valid)
        case .fixedLenByteArray(let f):
            var out = [String?](repeating: nil, count: n)
            var k = 0
            for i in 0..<n where def == nil || def![i] == maxDef {
                out[i] = ValueFormatter.formatBytes(f.bytes, (k * f.width)..<((k + 1) * f.width), kind).plainText
                k += 1
            }
            return .strings(out)
        }
    }

    /// Event times in ms from a leaf, by its logical type (or `unit` for plain integers).
    static func eventTimes(_ c: Column, unit: EpochUnit, calendar: BucketCalendar) -> (millis: [Int64], valid: [Bool]?, errors: [Int: String]) {
        let kind = ValueKind(c.descriptor)
        let block = column(c)
        let n = c.levelCount
        switch block {
        case .ints(let v, let valid):
            var out = v
            switch kind {
            case .timestamp(let u, _):
                for i in 0..<n { out[i] = u == .millis ? v[i] : (u == .micros ? floorDiv(v[i], 1000) : floorDiv(v[i], 1_000_000)) }
            case .date:
                for i in 0..<n { out[i] = v[i] &* 86_400_000 }
            case .int96:
                for i in 0..<n { out[i] = floorDiv(v[i], 1000) }
            default:
                if unit != .ms { for i in 0..<n { out[i] = unit.toMillis(v[i]) } }
            }
            return (out, valid, [:])
        case .doubles(let v, let valid):
            return (v.map { unit.toMillis(Int64($0)) }, valid, [:])
        default:
            var out = [Int64](repeating: 0, count: n)
            var valid = [Bool](repeating: true, count: n)
            var errors: [Int: String] = [:]
            for i in 0..<n {
                guard let text = block.text(i) else {
                    valid[i] = false
                    errors[i] = "no event time (null \(c.descriptor.dottedPath))"
                    continue
                }
                do { out[i] = try calendar.parseTime(text) } catch {
                    valid[i] = false
                    errors[i] = "event time '\(text)' is not an RFC 3339 time"
                }
            }
            return (out, valid, errors)
        }
    }
}
