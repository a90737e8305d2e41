import Aggregation
import Datasets

/// Which objects and row groups a replace (or verify, or a run with a live boundary) can leave unread.
///
/// Paths: Hive partitions that name a time — `year=/month=/day=/hour=` (integers, coarsest first), or a date in
/// `dt=`, `date=`, `ds=`, `day=`, `event_date=` (`2026-05-08` or `20260508`, optionally refined by `hour=`) — give an
/// object's event-time span. Writers partition by the event date in their own time zone, and late rows land in the
/// next partition, so the span is widened by `TimePruning.pathSlack` (one day) on each side before it is compared.
/// Blocks (Parquet row groups): the event-time statistics the format gives (`RecordSource.nextBlockStatistics`).
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
}

enum BlockSkip { case outsideRange, otherSideOfBoundary }

extension Runner {
    /// True when a block's statistics may let it be skipped (a replace or verify range, or a boundary for every pipeline).
    var prunesBlocks: Bool {
        options.mode.segmentRange != nil || (!boundaryByPipeline.isEmpty && boundaryByPipeline.allSatisfy { $0 != nil })
    }

    /// Why a block need not be read (its event-time statistics put every row outside the range, or on the other side
    /// of the live boundary of every pipeline), or nil.
    func skippableBlock(_ span: BlockStatistics) -> BlockSkip? {
        let range = options.mode.segmentRange
        let bounds = boundaryByPipeline.compactMap { $0 }
        let allBounded = !bounds.isEmpty && bounds.count == boundaryByPipeline.count
        guard range != nil || allBounded else { return nil }
        if let range, span.eventTimeMax < range.from || span.eventTimeMin >= range.to { return .outsideRange }
        if allBounded {
            if options.mode.isLive {
                if span.eventTimeMax < bounds.min()! { return .otherSideOfBoundary }
            } else if span.eventTimeMin >= bounds.max()! {
                return .otherSideOfBoundary
            }
        }
        return nil
    }
}
