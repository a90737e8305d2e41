/// The time windows a pipeline can bucket rows into.
public enum WindowKind: String, Sendable, CaseIterable, Codable {
    case minute, hourly, daily, monthly, lifetime
}

/// Bucket math for one time zone. Times are Int64 epoch milliseconds (UTC instants).
///
/// * minute / hourly buckets start at local minute / hour boundaries (for Asia/Kolkata, +05:30,
///   hours start at :30 UTC). Where a transition shifts the offset by something other than
///   whole hours (Australia/Lord_Howe: 30 minutes) a bucket also starts at the transition, so
///   buckets never overlap.
/// * daily / monthly buckets are local calendar days / months: a bucket starts at the instant
///   of local midnight, or at the first valid instant of the day when midnight does not exist;
///   days around daylight-saving transitions last 23 or 25 hours.
/// * lifetime is one bucket, `BucketCalendar.lifetimeBucket` ..< Int64.max.
///
/// Buckets are contiguous: `bucketStart(w, t) <= t < bucketEnd(w, start: bucketStart(w, t))`.
/// UTC (and fixed-offset zones) use pure integer math; other zones share a process-wide table,
/// built once per zone from Foundation's TimeZone (a few milliseconds), that answers
/// instants in 1900...2099 with a few array reads and others with a binary search. Instants
/// within one bucket of Int64.min or Int64.max wrap instead of trapping.
public struct BucketCalendar: Sendable {
    /// The identifier this calendar was made with.
    public let timeZoneIdentifier: String
    /// True for UTC itself: instants in labels then end in "Z".
    let isUTC: Bool
    /// The offset (ms) used when `zone` is nil.
    let fixedOffset: Int64
    /// The zone's table when its offset ever changes; nil for UTC and fixed offsets.
    let zone: ZoneTable?
    /// Day-of-month table for monthly buckets without a zone table.
    let civil = CivilTable.shared

    /// The bucket start of the lifetime window.
    public static let lifetimeBucket: Int64 = Int64.min

    /// A calendar for an IANA time zone ("UTC", "Europe/Berlin", "America/New_York"). Also takes
    /// "Z", "GMT" and fixed offsets "+05:30" / "-08:00". Throws an `AggregationError` naming an
    /// unknown identifier.
    public init(timeZone identifier: String = "UTC") throws {
        timeZoneIdentifier = identifier
        switch identifier {
        case "UTC", "Z", "Etc/UTC", "GMT", "Etc/GMT", "utc":
            isUTC = true
            fixedOffset = 0
            zone = nil
            return
        default:
            break
        }
        isUTC = false
        if let offset = Self.parseOffsetIdentifier(identifier) {
            fixedOffset = offset
            zone = nil
            return
        }
        guard let info = ZoneTableCache.shared.zone(for: identifier) else {
            throw AggregationError(
                "unknown time zone '\(identifier)' (expected an IANA name such as \"UTC\" or \"Europe/Berlin\", or an offset such as \"+05:30\")"
            )
        }
        switch info {
        case .fixed(let offset):
            fixedOffset = offset
            zone = nil
        case .table(let table):
            fixedOffset = 0
            zone = table
        }
    }

    /// "+hh:mm" / "-hh:mm" / "+hhmm" / "+hh" → offset in ms.
    static func parseOffsetIdentifier(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard let sign = u.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        var p = TextScanner(u, position: 1)
        guard let offset = p.offsetMagnitude(), p.atEnd else { return nil }
        return sign == UInt8(ascii: "-") ? -offset : offset
    }

    // MARK: - Buckets

    /// Start instant (epoch ms) of the bucket containing `millis`. lifetime → `lifetimeBucket`.
    @inline(__always)
    public func bucketStart(_ window: WindowKind, _ millis: Int64) -> Int64 {
        if let zone { return zone.bucketStart(window, millis) }
        let f = fixedOffset
        switch window {
        case .minute: return Civil.floorTo(millis &+ f, Civil.millisPerMinute) &- f
        case .hourly: return Civil.floorTo(millis &+ f, Civil.millisPerHour) &- f
        case .daily: return Civil.floorTo(millis &+ f, Civil.millisPerDay) &- f
        case .monthly:
            let days = Civil.floorDiv(millis &+ f, Civil.millisPerDay)
            return (days &- civil.daysSinceMonthStart(days)) &* Civil.millisPerDay &- f
        case .lifetime: return Self.lifetimeBucket
        }
    }

    /// End instant (exclusive) of the bucket starting at `start` (lifetime → Int64.max). For an
    /// instant that is not a bucket start, the end of the bucket containing it.
    public func bucketEnd(_ window: WindowKind, start: Int64) -> Int64 {
        if let zone { return zone.bucketEnd(window, start: start) }
        let f = fixedOffset
        switch window {
        case .minute: return Civil.floorTo(start &+ f, Civil.millisPerMinute) &+ Civil.millisPerMinute &- f
        case .hourly: return Civil.floorTo(start &+ f, Civil.millisPerHour) &+ Civil.millisPerHour &- f
        case .daily: return Civil.floorTo(start &+ f, Civil.millisPerDay) &+ Civil.millisPerDay &- f
        case .monthly:
            let date = Civil.date(days: Civil.floorDiv(start &+ f, Civil.millisPerDay))
            let next =
                date.month == 12
                ? Civil.days(year: date.year &+ 1, month: 1, day: 1)
                : Civil.days(year: date.year, month: date.month + 1, day: 1)
            return next &* Civil.millisPerDay &- f
        case .lifetime: return Int64.max
        }
    }

    /// UTC offset (ms) of this calendar's zone at an instant.
    public func utcOffset(at millis: Int64) -> Int64 {
        zone?.offset(at: millis) ?? fixedOffset
    }

    /// Canonical label of the bucket starting at `start`: minute "2026-05-08T14:05:00Z", hourly
    /// "2026-05-08T14:00:00Z", daily "2026-05-08", monthly "2026-05", lifetime "lifetime". In a
    /// zone other than UTC, daily/monthly are local dates and minute/hourly local times with
    /// their offset ("2026-05-08T16:00:00+02:00"). `parseTime` reads every label back to its
    /// start. Years outside 0000...9999 are written with a sign ("+10000", "-0001").
    public func label(_ window: WindowKind, start: Int64) -> String {
        if window == .lifetime { return "lifetime" }
        var text = LabelText()
        switch window {
        case .daily, .monthly:
            let day = zone?.dayNumber(containing: start) ?? Civil.floorDiv(start &+ fixedOffset, Civil.millisPerDay)
            text.date(Civil.date(days: day), withDay: window == .daily)
        default:
            let offset = utcOffset(at: start)
            let local = start &+ offset
            let day = Civil.floorDiv(local, Civil.millisPerDay)
            text.date(Civil.date(days: day))
            text.char("T")
            text.time(millisOfDay: local &- day &* Civil.millisPerDay)
            if isUTC {
                text.char("Z")
            } else {
                text.offset(millis: offset)
            }
        }
        return text.string
    }

    /// Start of the segment (UTC day, whatever the zone) containing `millis`:
    /// `floor(millis / segmentMillis) * segmentMillis`. `segmentMillis` must be positive.
    public static func segmentStart(_ millis: Int64, segmentMillis: Int64 = 86_400_000) -> Int64 {
        precondition(segmentMillis > 0, "segmentMillis must be positive")
        return Civil.floorTo(millis, segmentMillis)
    }

    /// The earliest instant whose local time in this zone is at or after local time `local`
    /// (ms since 1970-01-01T00:00 local): the instant itself when it exists, the transition
    /// when it falls in a gap, the earlier one when it is ambiguous.
    func instant(ofLocal local: Int64) -> Int64 {
        if let zone { return zone.firstInstant(atOrAfterLocal: local) }
        return local &- fixedOffset
    }
}

extension BucketCalendar: Equatable {
    public static func == (a: BucketCalendar, b: BucketCalendar) -> Bool {
        a.timeZoneIdentifier == b.timeZoneIdentifier
    }
}
