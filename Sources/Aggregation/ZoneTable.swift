import Foundation

/// A time zone's UTC offsets as a list of segments, with the bucket arithmetic that needs them.
///
/// Segment `i` covers the instants `starts[i] ..< starts[i + 1]` and has UTC offset
/// `offsets[i]` (ms, local = instant + offset). `starts[0]` is Int64.min and the last end is
/// Int64.max. Transitions are read once from Foundation's `TimeZone` from 1800 to 2800; past
/// `foldStart` (2800-01-01) instants are folded back by whole 400-year Gregorian cycles, over
/// which dates and weekdays repeat exactly, so rule-based daylight saving continues forever.
///
/// The basic query is `firstInstant(atOrAfterLocal:)`: the earliest instant whose local time is
/// at or after a given local time. A local day's bucket starts there for its midnight, which is
/// the instant of local midnight, or the first valid instant of the day when midnight is skipped
/// by a transition. Buckets are contiguous half-open intervals of instants.
struct ZoneSegments: Sendable {
    let starts: [Int64]
    let offsets: [Int64]
    /// Largest offset of any segment (ms).
    let maxOffset: Int64

    static let period: Int64 = Civil.daysPer400Years * Civil.millisPerDay
    static let foldStart: Int64 = Civil.days(year: 2800, month: 1, day: 1) * Civil.millisPerDay
    static let enumerationStart: Int64 = Civil.days(year: 1800, month: 1, day: 1) * Civil.millisPerDay
    static let enumerationEnd: Int64 = foldStart + 60 * Civil.millisPerDay

    init(starts: [Int64], offsets: [Int64]) {
        self.starts = starts
        self.offsets = offsets
        maxOffset = offsets.max() ?? 0
    }

    /// Reads the transitions of `tz` from Foundation.
    init(timeZone tz: TimeZone) {
        var starts: [Int64] = [Int64.min]
        var offsets: [Int64] = []
        var date = Date(timeIntervalSince1970: Double(Self.enumerationStart / 1000))
        offsets.append(Int64(tz.secondsFromGMT(for: date)) * 1000)
        while let next = tz.nextDaylightSavingTimeTransition(after: date) {
            let millis = Int64((next.timeIntervalSince1970 * 1000).rounded())
            if millis >= Self.enumerationEnd || next <= date { break }
            let offset = Int64(tz.secondsFromGMT(for: next)) * 1000
            if offset != offsets[offsets.count - 1] {
                starts.append(millis)
                offsets.append(offset)
            }
            date = next
        }
        starts.append(Int64.max)
        self.init(starts: starts, offsets: offsets)
    }

    var hasTransitions: Bool { offsets.count > 1 }

    /// Index of the segment containing `t` (no folding).
    @inline(__always)
    func index(containing t: Int64) -> Int {
        // Largest i with starts[i] <= t; starts[0] is Int64.min.
        var lo = 0
        var hi = offsets.count  // answer in lo..<hi
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if starts[mid] <= t { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// `t` moved back by whole 400-year cycles below `foldStart`, and the amount moved.
    @inline(__always)
    static func fold(_ t: Int64) -> (Int64, Int64) {
        if t < foldStart { return (t, 0) }
        let shift = ((t - foldStart) / period + 1) * period
        return (t - shift, shift)
    }

    func offset(at t: Int64) -> Int64 {
        offsets[index(containing: Self.fold(t).0)]
    }

    /// The earliest instant whose local time is at or after local time `m`.
    func firstInstant(atOrAfterLocal m: Int64) -> Int64 {
        let (mf, shift) = Self.fold(m)
        // No instant before mf - maxOffset can have a local time >= mf.
        var i = index(containing: mf &- maxOffset &- 1)
        while true {
            let end = starts[i + 1]
            if end == Int64.max || end &+ offsets[i] > mf {
                return max(starts[i], mf &- offsets[i]) &+ shift
            }
            i += 1
        }
    }

    /// Local day number of the daily bucket containing `t`.
    func dayNumber(containing t: Int64) -> Int64 {
        let d = Civil.floorDiv(t &+ offset(at: t), Civil.millisPerDay)
        // A backward transition across midnight can put a later day's bucket start before t.
        if firstInstant(atOrAfterLocal: (d &+ 1) &* Civil.millisPerDay) <= t { return d &+ 1 }
        return d
    }

    /// Start of the bucket of local length `unit` (minute or hour) containing `t`: the local
    /// multiple of `unit`, or the transition that began the current segment if that is later.
    func subDailyStart(_ t: Int64, unit: Int64) -> Int64 {
        let (tf, shift) = Self.fold(t)
        let i = index(containing: tf)
        let o = offsets[i]
        let s = Civil.floorTo(tf &+ o, unit) &- o
        return max(s, starts[i]) &+ shift
    }

    /// End (exclusive) of the minute/hour bucket containing `t`.
    func subDailyEnd(_ t: Int64, unit: Int64) -> Int64 {
        let (tf, shift) = Self.fold(t)
        let i = index(containing: tf)
        let o = offsets[i]
        let e = Civil.floorTo(tf &+ o, unit) &+ unit &- o
        let segmentEnd = starts[i + 1]
        if segmentEnd < e { return segmentEnd == Int64.max ? Int64.max : segmentEnd &+ shift }
        return e &+ shift
    }
}

/// A zone's segments plus precomputed tables that make the common case (1900-2100) a few
/// array reads: the segment containing each UTC day's start, and the bucket start of each
/// local day. Immutable after `init`; shared by every `BucketCalendar` of the zone.
///
/// `@unchecked Sendable`: the raw tables are written only in `init` and freed in `deinit`;
/// after `init` they are only read.
final class ZoneTable: @unchecked Sendable {
    let segments: ZoneSegments

    /// Day number of table entry 0 (1899-11-01), and the entry count (to 2100-03-01).
    let firstDay: Int64
    let dayCount: Int
    let firstDayMillis: Int64
    /// The fast tables serve instants in fastLow ..< fastHigh (1900-01-01 ..< 2100-01-01 UTC).
    let fastLow: Int64
    let fastHigh: Int64

    /// Segment starts (count + 1 entries) and offsets, as raw memory for the fast path.
    private let starts: UnsafeMutablePointer<Int64>
    private let offsets: UnsafeMutablePointer<Int64>
    /// Segment containing the start (00:00 UTC) of each table day.
    private let segmentAtDay: UnsafeMutablePointer<Int32>
    /// Daily bucket start of each local table day (dayCount + 1 entries).
    private let dayStart: UnsafeMutablePointer<Int64>
    /// Days since the first of the month of each table day (shared, owned by `civil`).
    private let civil: CivilTable
    private let sinceMonthStart: UnsafeMutablePointer<UInt8>

    init(segments: ZoneSegments) {
        self.segments = segments
        firstDay = CivilTable.firstDay
        dayCount = CivilTable.count
        civil = CivilTable.shared
        sinceMonthStart = civil.sinceMonthStart
        firstDayMillis = firstDay * Civil.millisPerDay
        fastLow = Civil.days(year: 1900, month: 1, day: 1) * Civil.millisPerDay
        fastHigh = Civil.days(year: 2100, month: 1, day: 1) * Civil.millisPerDay

        let n = segments.offsets.count
        starts = .allocate(capacity: n + 1)
        starts.initialize(from: segments.starts, count: n + 1)
        offsets = .allocate(capacity: n)
        offsets.initialize(from: segments.offsets, count: n)

        segmentAtDay = .allocate(capacity: dayCount + 1)
        dayStart = .allocate(capacity: dayCount + 1)
        var seg = segments.index(containing: firstDayMillis)
        for k in 0...dayCount {
            let dayMillis = (firstDay + Int64(k)) * Civil.millisPerDay
            while segments.starts[seg + 1] <= dayMillis { seg += 1 }
            (segmentAtDay + k).initialize(to: Int32(seg))
            (dayStart + k).initialize(to: segments.firstInstant(atOrAfterLocal: dayMillis))
        }
    }

    deinit {
        starts.deallocate()
        offsets.deallocate()
        segmentAtDay.deallocate()
        dayStart.deallocate()
    }

    // MARK: Fast path (fastLow <= t < fastHigh)

    @inline(__always)
    private func fastSegment(_ t: Int64) -> Int {
        let k = Int(truncatingIfNeeded: UInt64(bitPattern: t &- firstDayMillis) / UInt64(Civil.millisPerDay))
        var i = Int(segmentAtDay[k])
        while starts[i + 1] <= t { i += 1 }
        return i
    }

    /// Table index of the local day whose bucket contains `t`.
    @inline(__always)
    private func fastDayIndex(_ t: Int64) -> Int {
        let o = offsets[fastSegment(t)]
        let j = Int(truncatingIfNeeded: UInt64(bitPattern: t &+ o &- firstDayMillis) / UInt64(Civil.millisPerDay))
        return dayStart[j + 1] <= t ? j + 1 : j
    }

    @inline(__always)
    private func fastSubDailyStart(_ t: Int64, unit: Int64) -> Int64 {
        let i = fastSegment(t)
        let o = offsets[i]
        let r = UInt64(bitPattern: t &+ o &- firstDayMillis)
        let s = Int64(bitPattern: r - r % UInt64(unit)) &+ firstDayMillis &- o
        return max(s, starts[i])
    }

    // MARK: Queries

    @inline(__always)
    func bucketStart(_ window: WindowKind, _ t: Int64) -> Int64 {
        if t >= fastLow && t < fastHigh {
            switch window {
            case .minute: return fastSubDailyStart(t, unit: Civil.millisPerMinute)
            case .hourly: return fastSubDailyStart(t, unit: Civil.millisPerHour)
            case .daily: return dayStart[fastDayIndex(t)]
            case .monthly:
                let j = fastDayIndex(t)
                return dayStart[j - Int(sinceMonthStart[j])]
            case .lifetime: return BucketCalendar.lifetimeBucket
            }
        }
        return slowBucketStart(window, t)
    }

    func slowBucketStart(_ window: WindowKind, _ t: Int64) -> Int64 {
        switch window {
        case .minute: return segments.subDailyStart(t, unit: Civil.millisPerMinute)
        case .hourly: return segments.subDailyStart(t, unit: Civil.millisPerHour)
        case .daily:
            return segments.firstInstant(atOrAfterLocal: segments.dayNumber(containing: t) &* Civil.millisPerDay)
        case .monthly:
            let d = segments.dayNumber(containing: t)
            let first = d &- (Civil.date(days: d).day - 1)
            return segments.firstInstant(atOrAfterLocal: first &* Civil.millisPerDay)
        case .lifetime: return BucketCalendar.lifetimeBucket
        }
    }

    func bucketEnd(_ window: WindowKind, start: Int64) -> Int64 {
        switch window {
        case .minute: return segments.subDailyEnd(start, unit: Civil.millisPerMinute)
        case .hourly: return segments.subDailyEnd(start, unit: Civil.millisPerHour)
        case .daily:
            if start >= fastLow && start < fastHigh { return dayStart[fastDayIndex(start) + 1] }
            let d = segments.dayNumber(containing: start)
            return segments.firstInstant(atOrAfterLocal: (d &+ 1) &* Civil.millisPerDay)
        case .monthly:
            let d = segments.dayNumber(containing: start)
            let date = Civil.date(days: d)
            let next =
                date.month == 12
                ? Civil.days(year: date.year &+ 1, month: 1, day: 1)
                : Civil.days(year: date.year, month: date.month + 1, day: 1)
            return segments.firstInstant(atOrAfterLocal: next &* Civil.millisPerDay)
        case .lifetime: return Int64.max
        }
    }

    /// UTC offset (ms) in effect at `t`.
    @inline(__always)
    func offset(at t: Int64) -> Int64 {
        if t >= fastLow && t < fastHigh { return offsets[fastSegment(t)] }
        return segments.offset(at: t)
    }

    /// Local day number of the daily bucket containing `t`.
    func dayNumber(containing t: Int64) -> Int64 {
        if t >= fastLow && t < fastHigh { return firstDay + Int64(fastDayIndex(t)) }
        return segments.dayNumber(containing: t)
    }

    func firstInstant(atOrAfterLocal m: Int64) -> Int64 {
        segments.firstInstant(atOrAfterLocal: m)
    }
}

/// What a time zone needs: a fixed offset, or a table of its transitions.
enum ZoneInfo: Sendable {
    case fixed(Int64)
    case table(ZoneTable)
}

/// Process-wide cache of zones by identifier, so that calendars of one zone share one table and
/// only the first `BucketCalendar` of a zone reads Foundation's transitions.
final class ZoneTableCache: @unchecked Sendable {
    static let shared = ZoneTableCache()
    private let lock = NSLock()
    private var zones: [String: ZoneInfo] = [:]

    /// The zone for an IANA identifier, or nil when Foundation does not know it.
    func zone(for identifier: String) -> ZoneInfo? {
        lock.lock()
        defer { lock.unlock() }
        if let z = zones[identifier] { return z }
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        let segments = ZoneSegments(timeZone: tz)
        let z: ZoneInfo = segments.hasTransitions ? .table(ZoneTable(segments: segments)) : .fixed(segments.offsets[0])
        zones[identifier] = z
        return z
    }
}
