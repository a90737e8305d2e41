import Foundation
import TestSupport
import Testing

@testable import Aggregation

/// Epoch ms of a UTC date and time.
func utc(_ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64 = 0, _ mi: Int64 = 0, _ s: Int64 = 0, _ ms: Int64 = 0) -> Int64
{
    Civil.days(year: y, month: mo, day: d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms
}

let hour: Int64 = 3_600_000
let day: Int64 = 86_400_000

@Suite("Windows in UTC")
struct UTCWindowTests {
    let cal = try! BucketCalendar()

    @Test func labelsAndStarts() throws {
        let t = utc(2026, 5, 8, 14, 5, 37, 123)
        #expect(cal.timeZoneIdentifier == "UTC")
        #expect(cal.label(.minute, start: cal.bucketStart(.minute, t)) == "2026-05-08T14:05:00Z")
        #expect(cal.label(.hourly, start: cal.bucketStart(.hourly, t)) == "2026-05-08T14:00:00Z")
        #expect(cal.label(.daily, start: cal.bucketStart(.daily, t)) == "2026-05-08")
        #expect(cal.label(.monthly, start: cal.bucketStart(.monthly, t)) == "2026-05")
        #expect(cal.label(.lifetime, start: cal.bucketStart(.lifetime, t)) == "lifetime")
        #expect(cal.bucketStart(.minute, t) == utc(2026, 5, 8, 14, 5))
        #expect(cal.bucketStart(.hourly, t) == utc(2026, 5, 8, 14))
        #expect(cal.bucketStart(.daily, t) == utc(2026, 5, 8))
        #expect(cal.bucketStart(.monthly, t) == utc(2026, 5, 1))
        #expect(cal.bucketStart(.lifetime, t) == BucketCalendar.lifetimeBucket)
        #expect(BucketCalendar.lifetimeBucket == Int64.min)
        #expect(cal.bucketEnd(.lifetime, start: Int64.min) == Int64.max)
        #expect(utc(2026, 5, 8, 14) == 1_778_248_800_000)
    }

    @Test func monthAndYearBoundariesAndLeapDays() {
        // Leap day 2024-02-29: the last millisecond of February and the first of March.
        let lastOfFeb = utc(2024, 2, 29, 23, 59, 59, 999)
        #expect(cal.bucketStart(.daily, lastOfFeb) == utc(2024, 2, 29))
        #expect(cal.bucketStart(.monthly, lastOfFeb) == utc(2024, 2, 1))
        #expect(cal.bucketEnd(.monthly, start: utc(2024, 2, 1)) == utc(2024, 3, 1))
        #expect(cal.bucketEnd(.monthly, start: utc(2024, 2, 1)) - utc(2024, 2, 1) == 29 * day)
        #expect(cal.bucketEnd(.monthly, start: utc(2023, 2, 1)) - utc(2023, 2, 1) == 28 * day)
        #expect(cal.bucketEnd(.monthly, start: utc(1900, 2, 1)) - utc(1900, 2, 1) == 28 * day)
        #expect(cal.bucketEnd(.monthly, start: utc(2000, 2, 1)) - utc(2000, 2, 1) == 29 * day)
        #expect(cal.bucketStart(.monthly, lastOfFeb + 1) == utc(2024, 3, 1))
        #expect(cal.label(.daily, start: utc(2024, 2, 29)) == "2024-02-29")
        // Year boundary.
        let lastOf2025 = utc(2025, 12, 31, 23, 59, 59, 999)
        #expect(cal.label(.monthly, start: cal.bucketStart(.monthly, lastOf2025)) == "2025-12")
        #expect(cal.label(.minute, start: cal.bucketStart(.minute, lastOf2025)) == "2025-12-31T23:59:00Z")
        #expect(cal.bucketEnd(.monthly, start: utc(2025, 12, 1)) == utc(2026, 1, 1))
        #expect(cal.bucketEnd(.daily, start: utc(2025, 12, 31)) == utc(2026, 1, 1))
        #expect(cal.bucketStart(.monthly, lastOf2025 + 1) == utc(2026, 1, 1))
        #expect(cal.bucketEnd(.hourly, start: utc(2025, 12, 31, 23)) == utc(2026, 1, 1))
        #expect(cal.bucketEnd(.minute, start: utc(2025, 12, 31, 23, 59)) == utc(2026, 1, 1))
    }

    @Test func timesBefore1970() {
        #expect(cal.bucketStart(.daily, -1) == -day)
        #expect(cal.bucketStart(.minute, -1) == -60_000)
        #expect(cal.bucketStart(.hourly, -1) == -hour)
        #expect(cal.bucketStart(.monthly, -1) == utc(1969, 12, 1))
        #expect(cal.label(.minute, start: cal.bucketStart(.minute, -1)) == "1969-12-31T23:59:00Z")
        #expect(cal.label(.monthly, start: cal.bucketStart(.monthly, -1)) == "1969-12")
        #expect(cal.bucketStart(.daily, -day) == -day)
        #expect(cal.bucketStart(.daily, -day - 1) == -2 * day)
        let leap1600 = utc(1600, 2, 29, 12)
        #expect(cal.label(.daily, start: cal.bucketStart(.daily, leap1600)) == "1600-02-29")
        #expect(cal.bucketStart(.monthly, leap1600) == utc(1600, 2, 1))
        #expect(cal.label(.daily, start: utc(1, 1, 1)) == "0001-01-01")
        #expect(cal.label(.daily, start: utc(0, 12, 31)) == "0000-12-31")
        #expect(cal.label(.daily, start: utc(-1, 12, 31)) == "-0001-12-31")
        #expect(cal.label(.monthly, start: utc(12345, 6, 1)) == "+12345-06")
        #expect(BucketCalendar.segmentStart(-1) == -day)
        #expect(BucketCalendar.segmentStart(day) == day)
        #expect(BucketCalendar.segmentStart(utc(2026, 5, 8, 23, 59)) == utc(2026, 5, 8))
        #expect(BucketCalendar.segmentStart(utc(2026, 5, 8, 23, 59), segmentMillis: hour) == utc(2026, 5, 8, 23))
    }

    @Test func extremeInstantsDoNotTrap() throws {
        for zone in ["UTC", "Europe/Berlin", "+05:30"] {
            let c = try BucketCalendar(timeZone: zone)
            for t in [Int64.min, Int64.min + 1, Int64.max, Int64.max - 1, -1 << 60, 1 << 60] {
                for w in WindowKind.allCases {
                    let s = c.bucketStart(w, t)
                    _ = c.bucketEnd(w, start: s)
                    _ = c.label(w, start: s)
                }
            }
        }
    }
}

/// Checks the bucket invariants for many instants: start <= t < end, the start is its own
/// bucket's start, buckets tile time (end is the next bucket's start), and labels parse back.
func checkInvariants(
    _ cal: BucketCalendar, instants: [Int64], windows: [WindowKind] = [.minute, .hourly, .daily, .monthly],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    // Plain comparisons, recording an issue only on failure: this runs for ~10^5 instants.
    var failures = 0
    for t in instants {
        for w in windows {
            let s = cal.bucketStart(w, t)
            let e = cal.bucketEnd(w, start: s)
            let label = cal.label(w, start: s)
            let parsed = try? cal.parseTime(label)
            var ok =
                s <= t && t < e && cal.bucketStart(w, s) == s && cal.bucketStart(w, e) == e
                && cal.bucketStart(w, e - 1) == s && parsed == s
            if w == .daily || w == .monthly { ok = ok && cal.label(w, start: e) != label }
            if !ok {
                failures += 1
                if failures <= 10 {
                    Issue.record(
                        "\(cal.timeZoneIdentifier) \(w) t=\(t): start \(s) end \(e) label \(label) parsed \(String(describing: parsed))",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }
}

@Suite("Windows in time zones")
struct ZoneWindowTests {
    static let zones = [
        "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
        "Pacific/Apia", "America/Sao_Paulo", "Asia/Kathmandu", "America/St_Johns", "Etc/GMT+5", "+05:30",
    ]

    @Test("bucket invariants over random instants", arguments: zones)
    func invariants(_ zone: String) throws {
        let cal = try BucketCalendar(timeZone: zone)
        var rng = SeededRNG(seed: 0x21 + UInt64(zone.utf8.count))
        var instants: [Int64] = []
        for _ in 0..<1500 {
            instants.append(utc(1850, 1, 1) + Int64(rng.below(Int(utc(2150, 1, 1) - utc(1850, 1, 1)))))
        }
        for _ in 0..<200 { instants.append(utc(2900, 1, 1) + Int64(rng.below(Int(utc(3300, 1, 1) - utc(2900, 1, 1))))) }
        for _ in 0..<100 { instants.append(-Int64(rng.below(Int(1) << 55))) }
        checkInvariants(cal, instants: instants)
    }

    @Test("every 15 minutes around each transition", arguments: zones)
    func aroundTransitions(_ zone: String) throws {
        let cal = try BucketCalendar(timeZone: zone)
        var instants: [Int64] = []
        let period = ZoneSegments.period
        // Transitions of some years (later years folded onto the enumerated range), plus fixed
        // dates for zones without transitions.
        var centres: [Int64] = []
        for year: Int64 in [1893, 1945, 1970, 2011, 2018, 2019, 2026, 2099, 2100, 2101, 2799, 2800, 3000] {
            let folds = year >= 2800 ? (year - 2400) / 400 : 0
            let lo = utc(year - 400 * folds, 1, 1)
            let hi = utc(year - 400 * folds + 1, 1, 1)
            let found = cal.zone?.segments.starts.filter { $0 >= lo && $0 < hi } ?? []
            centres += found.map { $0 + folds * period }
            centres += [utc(year, 1, 1), utc(year, 3, 1)]
        }
        for c in centres {
            var t = c - 36 * hour
            while t < c + 36 * hour {
                instants.append(t)
                t += 15 * 60_000
            }
        }
        checkInvariants(cal, instants: instants, windows: [.hourly, .daily, .monthly])
    }

    @Test("fast tables agree with the general algorithm", arguments: zones)
    func fastPathMatchesSlowPath(_ zone: String) throws {
        let cal = try BucketCalendar(timeZone: zone)
        guard let table = cal.zone else { return }
        var rng = SeededRNG(seed: 0xFA57)
        for i in 0..<20_000 {
            let t =
                i < 10_000
                ? table.fastLow + Int64(rng.below(Int(table.fastHigh - table.fastLow)))
                : (i % 2 == 0 ? table.fastLow : table.fastHigh) + Int64(rng.below(Int(4 * day))) - 2 * day
            for w in WindowKind.allCases {
                #expect(table.bucketStart(w, t) == table.slowBucketStart(w, t), "\(zone) \(w) \(t)")
            }
            #expect(table.offset(at: t) == table.segments.offset(at: t))
        }
    }

    @Test(
        "daily and monthly starts agree with Foundation's Calendar",
        arguments: ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/London"])
    func agreesWithFoundation(_ zone: String) throws {
        let cal = try BucketCalendar(timeZone: zone)
        var fc = Calendar(identifier: .gregorian)
        fc.timeZone = TimeZone(identifier: zone)!
        var rng = SeededRNG(seed: 0xF0)
        for _ in 0..<3000 {
            let t = utc(1950, 1, 1) + Int64(rng.below(Int(utc(2090, 1, 1) - utc(1950, 1, 1))))
            let date = Date(timeIntervalSince1970: Double(t) / 1000)
            let dayStart = Int64((fc.startOfDay(for: date).timeIntervalSince1970 * 1000).rounded())
            #expect(cal.bucketStart(.daily, t) == dayStart, "\(zone) \(t)")
            let month = fc.dateInterval(of: .month, for: date)!
            #expect(cal.bucketStart(.monthly, t) == Int64((month.start.timeIntervalSince1970 * 1000).rounded()))
            #expect(
                cal.bucketEnd(.monthly, start: cal.bucketStart(.monthly, t))
                    == Int64((month.end.timeIntervalSince1970 * 1000).rounded()))
        }
    }

    /// The hourly buckets of one local day: all inside the day's bucket, and their labels.
    func hoursOfDay(_ cal: BucketCalendar, containing t: Int64) -> (count: Int, labels: [String]) {
        let start = cal.bucketStart(.daily, t)
        let end = cal.bucketEnd(.daily, start: start)
        var labels: [String] = []
        var h = start
        while h < end {
            #expect(cal.bucketStart(.daily, h) == start)
            #expect(cal.bucketStart(.hourly, h) == h)
            labels.append(cal.label(.hourly, start: h))
            h = cal.bucketEnd(.hourly, start: h)
        }
        #expect(h == end)
        return (labels.count, labels)
    }

    @Test func berlinDaylightSavingDays() throws {
        let cal = try BucketCalendar(timeZone: "Europe/Berlin")
        // 2026-03-29: clocks go 02:00 → 03:00, a 23-hour day.
        let spring = cal.bucketStart(.daily, utc(2026, 3, 29, 12))
        #expect(spring == utc(2026, 3, 28, 23))
        #expect(cal.bucketEnd(.daily, start: spring) == utc(2026, 3, 29, 22))
        #expect(cal.label(.daily, start: spring) == "2026-03-29")
        let s = hoursOfDay(cal, containing: utc(2026, 3, 29, 12))
        #expect(s.count == 23)
        #expect(s.labels[0] == "2026-03-29T00:00:00+01:00")
        #expect(s.labels[1] == "2026-03-29T01:00:00+01:00")
        #expect(s.labels[2] == "2026-03-29T03:00:00+02:00")
        #expect(s.labels[22] == "2026-03-29T23:00:00+02:00")
        // 2026-10-25: clocks go 03:00 → 02:00, a 25-hour day with 02:00 twice.
        let autumn = cal.bucketStart(.daily, utc(2026, 10, 25, 12))
        #expect(autumn == utc(2026, 10, 24, 22))
        #expect(cal.bucketEnd(.daily, start: autumn) - autumn == 25 * hour)
        let f = hoursOfDay(cal, containing: utc(2026, 10, 25, 12))
        #expect(f.count == 25)
        #expect(f.labels[2] == "2026-10-25T02:00:00+02:00")
        #expect(f.labels[3] == "2026-10-25T02:00:00+01:00")
        #expect(try cal.parseTime(f.labels[2]) == utc(2026, 10, 25, 0))
        #expect(try cal.parseTime(f.labels[3]) == utc(2026, 10, 25, 1))
        // Ordinary summer hour label.
        #expect(
            cal.label(.hourly, start: cal.bucketStart(.hourly, utc(2026, 5, 8, 14, 30))) == "2026-05-08T16:00:00+02:00")
        #expect(
            cal.label(.minute, start: cal.bucketStart(.minute, utc(2026, 5, 8, 14, 5, 59)))
                == "2026-05-08T16:05:00+02:00")
        // Instants between 22:00 and 24:00 UTC already belong to the next local day.
        #expect(cal.label(.daily, start: cal.bucketStart(.daily, utc(2026, 5, 8, 22, 30))) == "2026-05-09")
    }

    @Test func newYorkDaylightSavingDays() throws {
        let cal = try BucketCalendar(timeZone: "America/New_York")
        let spring = cal.bucketStart(.daily, utc(2026, 3, 8, 15))
        #expect(spring == utc(2026, 3, 8, 5))
        #expect(cal.bucketEnd(.daily, start: spring) - spring == 23 * hour)
        let s = hoursOfDay(cal, containing: utc(2026, 3, 8, 15))
        #expect(s.count == 23)
        #expect(s.labels[1] == "2026-03-08T01:00:00-05:00")
        #expect(s.labels[2] == "2026-03-08T03:00:00-04:00")
        let autumn = cal.bucketStart(.daily, utc(2026, 11, 1, 15))
        #expect(autumn == utc(2026, 11, 1, 4))
        let f = hoursOfDay(cal, containing: utc(2026, 11, 1, 15))
        #expect(f.count == 25)
        #expect(f.labels[1] == "2026-11-01T01:00:00-04:00")
        #expect(f.labels[2] == "2026-11-01T01:00:00-05:00")
        // Monthly buckets in the zone: November starts in EDT and ends in EST.
        let nov = cal.bucketStart(.monthly, utc(2026, 11, 15))
        #expect(nov == utc(2026, 11, 1, 4))
        #expect(cal.bucketEnd(.monthly, start: nov) == utc(2026, 12, 1, 5))
        #expect(cal.label(.monthly, start: nov) == "2026-11")
        // 03:30 UTC on Nov 1 is still October 31 in New York.
        #expect(cal.label(.monthly, start: cal.bucketStart(.monthly, utc(2026, 11, 1, 3, 30))) == "2026-10")
    }

    @Test func kolkataHalfHourOffset() throws {
        let cal = try BucketCalendar(timeZone: "Asia/Kolkata")
        let t = utc(2026, 5, 8, 14, 5)  // 19:35 IST
        #expect(cal.bucketStart(.hourly, t) == utc(2026, 5, 8, 13, 30))
        #expect(cal.label(.hourly, start: cal.bucketStart(.hourly, t)) == "2026-05-08T19:00:00+05:30")
        #expect(cal.label(.minute, start: cal.bucketStart(.minute, t)) == "2026-05-08T19:35:00+05:30")
        let late = utc(2026, 5, 8, 20)  // 01:30 on May 9 IST
        #expect(cal.bucketStart(.daily, late) == utc(2026, 5, 8, 18, 30))
        #expect(cal.label(.daily, start: cal.bucketStart(.daily, late)) == "2026-05-09")
        #expect(cal.bucketEnd(.daily, start: utc(2026, 5, 8, 18, 30)) == utc(2026, 5, 9, 18, 30))
        #expect(cal.bucketStart(.monthly, utc(2026, 5, 31, 19)) == utc(2026, 5, 31, 18, 30))
        #expect(cal.label(.monthly, start: utc(2026, 5, 31, 18, 30)) == "2026-06")
    }

    @Test func monthlyInBerlin() throws {
        let cal = try BucketCalendar(timeZone: "Europe/Berlin")
        // 2026-03-31T22:30Z is 00:30 on April 1 (CEST).
        let april = cal.bucketStart(.monthly, utc(2026, 3, 31, 22, 30))
        #expect(april == utc(2026, 3, 31, 22))
        #expect(cal.label(.monthly, start: april) == "2026-04")
        #expect(cal.bucketEnd(.monthly, start: april) == utc(2026, 4, 30, 22))
        // March spans the spring transition: 31 days less one hour.
        let march = cal.bucketStart(.monthly, utc(2026, 3, 15))
        #expect(march == utc(2026, 2, 28, 23))
        #expect(cal.bucketEnd(.monthly, start: march) - march == 31 * day - hour)
        #expect(try cal.parseTime("2026-04") == april)
        #expect(try cal.parseTime("2026-03") == march)
    }

    @Test func midnightThatDoesNotExist() throws {
        // Sao Paulo began daylight saving at midnight: 2018-11-04 00:00 became 01:00 (-02:00).
        let cal = try BucketCalendar(timeZone: "America/Sao_Paulo")
        let start = cal.bucketStart(.daily, utc(2018, 11, 4, 12))
        #expect(start == utc(2018, 11, 4, 3))
        #expect(cal.label(.daily, start: start) == "2018-11-04")
        #expect(cal.bucketEnd(.daily, start: start) - start == 23 * hour)
        #expect(try cal.parseTime("2018-11-04") == start)
        #expect(cal.bucketStart(.daily, start - 1) == utc(2018, 11, 3, 3))
        // ... and ended at midnight: 2019-02-17 00:00 (-02:00) went back to 2019-02-16 23:00 (-03:00),
        // so the hour before midnight repeats and February 16 lasts 25 hours.
        let feb16 = cal.bucketStart(.daily, utc(2019, 2, 16, 12))
        let feb17 = cal.bucketStart(.daily, utc(2019, 2, 17, 12))
        #expect(feb16 == utc(2019, 2, 16, 2))
        #expect(feb17 == utc(2019, 2, 17, 3))
        #expect(cal.bucketStart(.daily, utc(2019, 2, 17, 2, 30)) == feb16)  // 23:30 -03:00, the second time
        #expect(cal.bucketEnd(.daily, start: feb16) == feb17)
        #expect(feb17 - feb16 == 25 * hour)
        #expect(cal.label(.daily, start: feb17) == "2019-02-17")
        #expect(try cal.parseTime("2019-02-17") == feb17)
    }

    @Test func backwardTransitionAcrossMidnight() throws {
        // A synthetic zone whose clocks go back from 00:30 to 23:30 the previous day: local
        // midnight of day 1 happens at 00:00 UTC (offset 0), then at 01:00 UTC (offset -1h) the
        // clock reads 23:30 of day 0 again. Buckets stay contiguous: day 1 starts at its first
        // midnight, and the repeated half hour belongs to day 1's bucket.
        let segments = ZoneSegments(starts: [Int64.min, day + hour / 2, Int64.max], offsets: [0, -hour])
        #expect(segments.firstInstant(atOrAfterLocal: day) == day)
        #expect(segments.dayNumber(containing: day + hour / 2 + 1) == 1)  // local 23:30 of day 0
        #expect(segments.dayNumber(containing: day - 1) == 0)
        #expect(segments.firstInstant(atOrAfterLocal: 2 * day) == 2 * day + hour)
        let table = ZoneTable(segments: segments)
        #expect(table.bucketStart(.daily, day + hour / 2 + 1) == day)
        #expect(table.bucketEnd(.daily, start: day) == 2 * day + hour)
        #expect(table.bucketStart(.hourly, day + hour / 2 + 1) == day + hour / 2)
    }

    @Test func skippedDayInSamoa() throws {
        // Pacific/Apia skipped 2011-12-30 entirely (from -10:00 to +14:00).
        let cal = try BucketCalendar(timeZone: "Pacific/Apia")
        let t = utc(2011, 12, 30, 12)
        let start = cal.bucketStart(.daily, t)
        #expect(cal.label(.daily, start: start) == "2011-12-31")
        #expect(cal.label(.daily, start: cal.bucketStart(.daily, start - 1)) == "2011-12-29")
        #expect(cal.bucketStart(.monthly, t) == cal.bucketStart(.monthly, utc(2011, 12, 5)))
    }

    @Test func unknownZoneIsAnError() {
        let error = #expect(throws: AggregationError.self) { try BucketCalendar(timeZone: "Mars/Olympus_Mons") }
        #expect(error?.message.contains("Mars/Olympus_Mons") == true)
        #expect(throws: AggregationError.self) { try BucketCalendar(timeZone: "") }
        #expect(throws: AggregationError.self) { try BucketCalendar(timeZone: "+25:00") }
    }

    @Test func fixedOffsetsAndAliases() throws {
        let plus = try BucketCalendar(timeZone: "+05:30")
        #expect(
            plus.label(.hourly, start: plus.bucketStart(.hourly, utc(2026, 5, 8, 14, 5))) == "2026-05-08T19:00:00+05:30"
        )
        let etc = try BucketCalendar(timeZone: "Etc/GMT+5")  // POSIX sign: UTC-5
        #expect(etc.label(.daily, start: etc.bucketStart(.daily, utc(2026, 5, 8, 3))) == "2026-05-07")
        #expect(etc.label(.hourly, start: utc(2026, 5, 8, 5)) == "2026-05-08T00:00:00-05:00")
        for alias in ["Z", "GMT", "Etc/UTC"] {
            let c = try BucketCalendar(timeZone: alias)
            #expect(c.label(.hourly, start: utc(2026, 5, 8, 14)) == "2026-05-08T14:00:00Z")
        }
        let london = try BucketCalendar(timeZone: "Europe/London")
        #expect(london.label(.hourly, start: utc(2026, 1, 8, 14)) == "2026-01-08T14:00:00+00:00")
    }
}
