/// A cursor over ASCII bytes for the small grammars below.
struct TextScanner {
    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var atEnd: Bool { position >= bytes.count }

    var peek: UInt8? { atEnd ? nil : bytes[position] }

    mutating func accept(_ c: Unicode.Scalar) -> Bool {
        if peek == UInt8(ascii: c) {
            position += 1
            return true
        }
        return false
    }

    /// Exactly `count` decimal digits.
    mutating func fixedDigits(_ count: Int) -> Int64? {
        guard position + count <= bytes.count else { return nil }
        var v: Int64 = 0
        for i in 0..<count {
            let b = bytes[position + i]
            guard b >= 48 && b <= 57 else { return nil }
            v = v * 10 + Int64(b - 48)
        }
        position += count
        return v
    }

    /// One or more decimal digits (nil on none or on overflow); also returns how many.
    mutating func digits() -> (value: Int64, count: Int)? {
        var v: Int64 = 0
        var n = 0
        while let b = peek, b >= 48 && b <= 57 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
            if o1 || o2 { return nil }
            v = a
            n += 1
            position += 1
        }
        return n > 0 ? (v, n) : nil
    }

    /// "hh", "hh:mm", "hhmm", "hh:mm:ss" or "hhmmss" → ms (hours <= 23, minutes/seconds <= 59).
    mutating func offsetMagnitude() -> Int64? {
        guard let h = fixedDigits(2), h <= 23 else { return nil }
        var total = h * 3_600_000
        if atEnd { return total }
        let colon = accept(":")
        guard let m = fixedDigits(2), m <= 59 else { return nil }
        total += m * 60_000
        if atEnd { return total }
        if colon { guard accept(":") else { return nil } }
        guard let s = fixedDigits(2), s <= 59 else { return nil }
        return total + s * 1000
    }
}

extension BucketCalendar {
    /// Parses a bucket label or an RFC 3339 instant or date to epoch ms:
    /// * "lifetime" → `lifetimeBucket`;
    /// * "2026-05" and "2026-05-08" → the start of that local month / day in this calendar's
    ///   zone (local midnight, or the day's first valid instant);
    /// * "2026-05-08T14:00:00Z", "2026-05-08T14:00:00.123+02:00", "2026-05-08 14:00Z" → that
    ///   instant (seconds optional, any number of fraction digits, truncated to ms; "T", "t" or
    ///   a space between date and time; "Z", "z", "+hh:mm", "+hhmm" or "+hh" offsets);
    /// * a date and time without an offset → that local time in this calendar's zone (in a
    ///   daylight-saving gap: the transition instant; when ambiguous: the earlier instant).
    /// Years may carry a sign and more than four digits ("+10000-01-01", "-0001-12-31").
    public func parseTime(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingSpaces()
        if trimmed == "lifetime" { return Self.lifetimeBucket }
        guard let (local, offset) = Self.scanTime(Array(trimmed.utf8)) else {
            throw AggregationError(
                "invalid time '\(text)': expected a date (\"2026-05-08\"), a month (\"2026-05\"), an RFC 3339 instant (\"2026-05-08T14:00:00Z\", \"2026-05-08T14:00:00.123+02:00\") or \"lifetime\""
            )
        }
        if let offset { return local &- offset }
        return instant(ofLocal: local)
    }

    /// Local time (ms since 1970-01-01T00:00) and the explicit offset, if any.
    static func scanTime(_ u: [UInt8]) -> (Int64, Int64?)? {
        var s = TextScanner(u)
        var negativeYear = false
        if s.accept("-") {
            negativeYear = true
        } else {
            _ = s.accept("+")
        }
        guard let (yearDigits, yearCount) = s.digits(), yearCount >= 4, yearCount <= 8 else { return nil }
        let year = negativeYear ? -yearDigits : yearDigits
        guard s.accept("-"), let month = s.fixedDigits(2), (1...12).contains(month) else { return nil }
        var day: Int64 = 1
        if s.accept("-") {
            guard let d = s.fixedDigits(2), d >= 1, d <= Civil.daysInMonth(year: year, month: month) else { return nil }
            day = d
        } else {
            // "YYYY-MM": nothing may follow.
            return s.atEnd ? (Civil.days(year: year, month: month, day: 1) * Civil.millisPerDay, nil) : nil
        }
        var local = Civil.days(year: year, month: month, day: day) * Civil.millisPerDay
        if s.atEnd { return (local, nil) }
        guard s.accept("T") || s.accept("t") || s.accept(" ") else { return nil }
        guard let hour = s.fixedDigits(2), hour <= 23, s.accept(":"),
            let minute = s.fixedDigits(2), minute <= 59
        else { return nil }
        local += hour * Civil.millisPerHour + minute * Civil.millisPerMinute
        if s.accept(":") {
            // 60 is a leap second; it is read as the first second of the next minute.
            guard let second = s.fixedDigits(2), second <= 60 else { return nil }
            local += second * 1000
            if s.accept(".") || s.accept(",") {
                var millis: Int64 = 0
                var count = 0
                while let b = s.peek, b >= 48 && b <= 57 {
                    if count < 3 { millis = millis * 10 + Int64(b - 48) }
                    count += 1
                    s.position += 1
                }
                guard count > 0 else { return nil }
                for _ in count..<max(count, 3) { millis *= 10 }
                local += millis
            }
        }
        if s.atEnd { return (local, nil) }
        if s.accept("Z") || s.accept("z") {
            return s.atEnd ? (local, 0) : nil
        }
        let negative: Bool
        if s.accept("+") {
            negative = false
        } else if s.accept("-") {
            negative = true
        } else {
            return nil
        }
        guard let magnitude = s.offsetMagnitude(), s.atEnd else { return nil }
        return (local, negative ? -magnitude : magnitude)
    }
}

/// Parses a duration to milliseconds: a number and a unit, "500ms", "45s", "15m", "12h",
/// "30d", "2w"; several may follow each other ("1h30m"). Units are lowercase
/// (ms, s, m, h, d, w); a bare number is rejected as ambiguous. Throws on anything else and on
/// overflow.
public func parseDuration(_ s: String) throws -> Int64 {
    let u = Array(s.trimmingSpaces().utf8)
    func fail(_ why: String) -> AggregationError {
        AggregationError(
            "invalid duration '\(s)': \(why) (expected e.g. \"30d\", \"12h\", \"15m\", \"45s\", \"2w\", \"500ms\")")
    }
    guard !u.isEmpty else { throw fail("empty") }
    var scanner = TextScanner(u)
    var total: Int64 = 0
    while !scanner.atEnd {
        guard let (n, _) = scanner.digits() else {
            throw fail(scanner.peek.map { $0 >= 48 && $0 <= 57 } == true ? "number too large" : "expected a number")
        }
        let unit: Int64
        if scanner.accept("m") {
            unit = scanner.accept("s") ? 1 : 60_000
        } else if scanner.accept("s") {
            unit = 1000
        } else if scanner.accept("h") {
            unit = 3_600_000
        } else if scanner.accept("d") {
            unit = 86_400_000
        } else if scanner.accept("w") {
            unit = 604_800_000
        } else {
            throw fail(scanner.atEnd ? "missing unit" : "unknown unit")
        }
        let (part, o1) = n.multipliedReportingOverflow(by: unit)
        let (sum, o2) = total.addingReportingOverflow(part)
        if o1 || o2 { throw fail("too large") }
        total = sum
    }
    return total
}
