/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), pure integer
/// math with no Foundation, valid for every Int64 time in milliseconds.
enum Civil {
    static let millisPerDay: Int64 = 86_400_000
    static let millisPerHour: Int64 = 3_600_000
    static let millisPerMinute: Int64 = 60_000
    /// Days in 400 Gregorian years; the calendar (dates and weekdays) repeats with this period.
    static let daysPer400Years: Int64 = 146_097

    /// Floor division by a positive divisor (never traps).
    @inline(__always)
    static func floorDiv(_ x: Int64, _ d: Int64) -> Int64 {
        let q = x / d
        return (x % d < 0) ? q &- 1 : q
    }

    /// `x` rounded down to a multiple of the positive `d` (wrapping within one `d` of Int64.min).
    @inline(__always)
    static func floorTo(_ x: Int64, _ d: Int64) -> Int64 {
        let r = x % d
        return r < 0 ? x &- r &- d : x &- r
    }

    /// Day number of a Gregorian date (month 1...12, day 1...31).
    @inline(__always)
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Count years from March so that the leap day is the last day of the year.
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400  // 0...399
        let shiftedMonth = month > 2 ? month - 3 : month + 9  // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPer400Years + dayOfEra - 719_468  // 0000-03-01 → 1970-01-01
    }

    /// The Gregorian date of a day number.
    @inline(__always)
    static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days &+ 719_468
        let era = floorDiv(z, daysPer400Years)
        let dayOfEra = z &- era &* daysPer400Years  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March = 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra &+ era &* 400 &+ (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ y: Int64) -> Bool {
        (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Days since the first of the month for every day from 1899-11-01 to 2100-03-01, so that
/// monthly buckets in the common range need one byte read instead of a calendar conversion.
/// Built once per process (73 KB). `@unchecked Sendable`: written only in `init`.
final class CivilTable: @unchecked Sendable {
    static let shared = CivilTable()

    /// Day number of entry 0, and the entry count: the same range as `ZoneTable`'s tables.
    static let firstDay: Int64 = Civil.days(year: 1899, month: 11, day: 1)
    static let count = Int(Civil.days(year: 2100, month: 3, day: 1) - firstDay)

    let firstDay: Int64
    let count: Int
    let sinceMonthStart: UnsafeMutablePointer<UInt8>

    private init() {
        firstDay = Self.firstDay
        count = Self.count
        sinceMonthStart = .allocate(capacity: count)
        for k in 0..<count {
            (sinceMonthStart + k).initialize(to: UInt8(Civil.date(days: firstDay + Int64(k)).day - 1))
        }
    }

    deinit {
        sinceMonthStart.deallocate()
    }

    /// Days since the first of the month of day number `days` (0...30).
    @inline(__always)
    func daysSinceMonthStart(_ days: Int64) -> Int64 {
        let k = UInt64(bitPattern: days &- firstDay)
        if k < UInt64(count) { return Int64(sinceMonthStart[Int(k)]) }
        return Civil.date(days: days).day - 1
    }
}

/// Small ASCII text builder for labels (no Foundation).
struct LabelText {
    var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(32)
    }

    mutating func char(_ c: Unicode.Scalar) {
        bytes.append(UInt8(ascii: c))
    }

    /// Zero-padded decimal of a non-negative value.
    mutating func digits(_ v: Int64, width: Int) {
        var buf: [UInt8] = []
        var x = v.magnitude
        repeat {
            buf.append(UInt8(48 + x % 10))
            x /= 10
        } while x > 0
        while buf.count < width { buf.append(48) }
        bytes.append(contentsOf: buf.reversed())
    }

    /// ISO 8601 year: four digits for 0...9999, otherwise a sign and at least four digits.
    mutating func year(_ y: Int64) {
        if y < 0 {
            char("-")
        } else if y > 9999 {
            char("+")
        }
        digits(y, width: 4)
    }

    mutating func date(_ d: (year: Int64, month: Int64, day: Int64), withDay: Bool = true) {
        year(d.year)
        char("-")
        digits(d.month, width: 2)
        if withDay {
            char("-")
            digits(d.day, width: 2)
        }
    }

    /// "HH:MM:SS" and ".mmm" when the millisecond part is not zero.
    mutating func time(millisOfDay ms: Int64) {
        digits(ms / Civil.millisPerHour, width: 2)
        char(":")
        digits(ms / Civil.millisPerMinute % 60, width: 2)
        char(":")
        digits(ms / 1000 % 60, width: 2)
        if ms % 1000 != 0 {
            char(".")
            digits(ms % 1000, width: 3)
        }
    }

    /// "+hh:mm" (with ":ss" when the offset has seconds, as historical local mean times do).
    mutating func offset(millis: Int64) {
        char(millis < 0 ? "-" : "+")
        let seconds = millis.magnitude / 1000
        digits(Int64(seconds / 3600), width: 2)
        char(":")
        digits(Int64(seconds / 60 % 60), width: 2)
        if seconds % 60 != 0 {
            char(":")
            digits(Int64(seconds % 60), width: 2)
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// An epoch-ms instant as RFC 3339 text in UTC ("2026-05-08T17:00:00Z", milliseconds only when not zero).
public func rfc3339UTC(_ ms: Int64) -> String {
    let days = Civil.floorDiv(ms, Civil.millisPerDay)
    let rest = ms &- days &* Civil.millisPerDay
    let (y, m, d) = Civil.date(days: days)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let year = y >= 0 && y < 10000 ? String(String(y + 10000).dropFirst()) : "\(y)"
    var text = "\(year)-\(two(m))-\(two(d))T\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60)):\(two(rest / 1000 % 60))"
    if rest % 1000 != 0 { text += "." + String(String(rest % 1000 + 1000).dropFirst()) }
    return text + "Z"
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1...12, day 1...31).
/// Floor division (rounds toward negative infinity, for either sign of `b`).
@inline(__always) public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

public func civilDayNumber(year: Int64, month: Int64, day: Int64) -> Int64 { Civil.days(year: year, month: month, day: day) }
