import Aggregation
import Datasets
import Parquet

/// Which objects and row groups a replace (or verify, or a run with a live boundary) can leave unread.
///
/// Paths: Hive partitions that name a time — `year=/month=/day=/hour=` (integers, coarsest first), or a date in
/// `dt=`, `date=`, `ds=`, `day=`, `event_date=` (`2026-05-08` or `20260508`, optionally refined by `hour=`) — give an
/// object's event-time span. Writers partition by the event date in their own time zone, and late rows land in the
/// next partition, so the span is widened by `TimePruning.pathSlack` (one day) on each side before it is compared.
/// Row groups: min/max statistics of an integer, date or timestamp event-time column with no nulls.
public enum TimePruning {
    /// How far an object's rows may lie outside the span its partition path names.
    public static let pathSlack: Int64 = 86_400_000

    /// The event-time span [from, to) a Hive partition path names, or nil when it names none.
    public static func pathSpan(_ partitions: [HivePartition]) -> (from: Int64, to: Int64)? {
        var values: [String: String] = [:]
        for p in partitions { values[p.key.lowercased()] = p.value }
        func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let text = values[key], let v = Int(text), range.contains(v) else { return nil }
            return v
        }
        var day: Int64?
        if let y = int("year", 1...9999) {
            guard let m = int("month", 1...12) else {
                let from = civilDays(y, 1, 1) * 86_400_000
                return (from, civilDays(y + 1, 1, 1) * 86_400_000)
            }
            guard let d = int("day", 1...31) else {
                let from = civilDays(y, m, 1) * 86_400_000
                return (from, (m == 12 ? civilDays(y + 1, 1, 1) : civilDays(y, m + 1, 1)) * 86_400_000)
            }
            day = civilDays(y, m, d)
        } else {
            for key in ["dt", "date", "ds", "day", "event_date"] {
                if let text = values[key], let d = parseDate(text) {
                    day = d
                    break
                }
            }
        }
        guard let day else { return nil }
        let start = day * 86_400_000
        if let h = int("hour", 0...23) { return (start + Int64(h) * 3_600_000, start + Int64(h + 1) * 3_600_000) }
        return (start, start + 86_400_000)
    }

    /// True when an object with these partitions can hold rows in [from, to).
    public static func pathMayOverlap(_ partitions: [HivePartition], from: Int64, to: Int64) -> Bool {
        guard let span = pathSpan(partitions) else { return true }
        return span.from - pathSlack < to && span.to + pathSlack > from
    }

    /// `2026-05-08`, `20260508`, or a date-time starting with a date.
    static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var v = 0
            for i in r {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        var y: Int?, m: Int?, d: Int?
        if b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b.count == 10 || !(b[10] >= 48 && b[10] <= 57) {
            (y, m, d) = (digits(0..<4), digits(5..<7), digits(8..<10))
        } else if b.count == 8 {
            (y, m, d) = (digits(0..<4), digits(4..<6), digits(6..<8))
        }
        guard let y, let m, let d, (1...12).contains(m), (1...31).contains(d) else { return nil }
        return civilDays(y, m, d)
    }

    static func civilDays(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        civilDayNumber(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    /// The [min, max] event time (epoch ms) of a row group's event-time column from its statistics, when they can be
    /// trusted for that: an INT32/INT64 column (integer with the configured unit, DATE, or TIMESTAMP) with exact
    /// min/max and a null count of 0 (rows without an event time must be read to be rejected).
    public static func rowGroupSpan(_ reader: ParquetFileReader, group: Int, leaf: Int, unit: JobConfig.EpochUnit) -> (min: Int64, max: Int64)? {
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

enum RowGroupSkip { case outsideRange, otherSideOfBoundary }

extension Runner {
    /// Why a row group need not be read (its statistics put every row outside the range, or on the other side of
    /// the live boundary of every pipeline), or nil.
    func skippableRowGroup(_ reader: ParquetFileReader, group: Int, leaf: Int) -> RowGroupSkip? {
        let range = options.mode.segmentRange
        let bounds = boundaryByPipeline.compactMap { $0 }
        let allBounded = !bounds.isEmpty && bounds.count == boundaryByPipeline.count
        guard range != nil || allBounded else { return nil }
        guard let span = TimePruning.rowGroupSpan(reader, group: group, leaf: leaf, unit: config.eventTime.unit) else { return nil }
        if let range, span.max < range.from || span.min >= range.to { return .outsideRange }
        if allBounded {
            if options.mode.isLive {
                if span.max < bounds.min()! { return .otherSideOfBoundary }
            } else if span.min >= bounds.max()! {
                return .otherSideOfBoundary
            }
        }
        return nil
    }
}
