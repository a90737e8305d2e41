import Testing

@testable import Aggregation

@Suite("Parsing times and durations")
struct ParseTests {
    @Test func instantsAndDatesInUTC() throws {
        let cal = try BucketCalendar()
        #expect(try cal.parseTime("2026-05-08") == utc(2026, 5, 8))
        #expect(try cal.parseTime("2026-05") == utc(2026, 5, 1))
        #expect(try cal.parseTime("2026-05-08T14:00:00Z") == utc(2026, 5, 8, 14))
        #expect(try cal.parseTime("2026-05-08T14:00:00.123+02:00") == utc(2026, 5, 8, 12, 0, 0, 123))
        #expect(try cal.parseTime("2026-05-08T14:00:00.1234567Z") == utc(2026, 5, 8, 14, 0, 0, 123))
        #expect(try cal.parseTime("2026-05-08T14:00:00.5Z") == utc(2026, 5, 8, 14, 0, 0, 500))
        #expect(try cal.parseTime("2026-05-08T14:00:00.05Z") == utc(2026, 5, 8, 14, 0, 0, 50))
        #expect(try cal.parseTime("2026-05-08 14:05Z") == utc(2026, 5, 8, 14, 5))
        #expect(try cal.parseTime("2026-05-08t14:05:09z") == utc(2026, 5, 8, 14, 5, 9))
        #expect(try cal.parseTime("2026-05-08T14:00:00-05:30") == utc(2026, 5, 8, 19, 30))
        #expect(try cal.parseTime("2026-05-08T14:00:00+0200") == utc(2026, 5, 8, 12))
        #expect(try cal.parseTime("2026-05-08T14:00:00+02") == utc(2026, 5, 8, 12))
        #expect(try cal.parseTime("2026-05-08T14:00:00") == utc(2026, 5, 8, 14))
        #expect(try cal.parseTime("  2026-05-08T14:00:00Z \n") == utc(2026, 5, 8, 14))
        #expect(try cal.parseTime("2016-12-31T23:59:60Z") == utc(2017, 1, 1))
        #expect(try cal.parseTime("1969-12-31T23:59:59.999Z") == -1)
        #expect(try cal.parseTime("1600-02-29") == utc(1600, 2, 29))
        #expect(try cal.parseTime("-0001-12-31") == utc(-1, 12, 31))
        #expect(try cal.parseTime("+10000-01-01") == utc(10000, 1, 1))
        #expect(try cal.parseTime("lifetime") == BucketCalendar.lifetimeBucket)
    }

    @Test func datesInAZoneAreLocalMidnight() throws {
        let berlin = try BucketCalendar(timeZone: "Europe/Berlin")
        #expect(try berlin.parseTime("2026-05-08") == utc(2026, 5, 7, 22))
        #expect(try berlin.parseTime("2026-01-08") == utc(2026, 1, 7, 23))
        #expect(try berlin.parseTime("2026-05") == utc(2026, 4, 30, 22))
        #expect(try berlin.parseTime("2026-05-08T14:00:00Z") == utc(2026, 5, 8, 14))
        #expect(try berlin.parseTime("2026-05-08T14:00:00") == utc(2026, 5, 8, 12))
        // A local time in the spring gap maps to the transition; an ambiguous one to the earlier.
        #expect(try berlin.parseTime("2026-03-29T02:30:00") == utc(2026, 3, 29, 1))
        #expect(try berlin.parseTime("2026-10-25T02:30:00") == utc(2026, 10, 25, 0, 30))
        let kolkata = try BucketCalendar(timeZone: "Asia/Kolkata")
        #expect(try kolkata.parseTime("2026-05-09") == utc(2026, 5, 8, 18, 30))
    }

    @Test(
        "invalid times are rejected",
        arguments: [
            "", "hello", "2026", "2026-5-8", "2026-13-01", "2026-00-10", "2026-02-30", "2025-02-29",
            "2026-05-08T24:00:00Z",
            "2026-05-08T14:60:00Z", "2026-05-08T14:00:61Z", "2026-05-08T14Z", "2026-05-08T14:00:00+25:00",
            "2026-05-08T14:00:00+02:60", "2026-05-08T14:00:00.Z", "2026-05-08T14:00:00ZZ", "2026-05-08X",
            "2026-05-08T14:00:00 Z", "2026-05T14:00:00Z", "lifetimes", "123456789-01-01",
        ])
    func invalidTimes(_ text: String) throws {
        let cal = try BucketCalendar()
        let error = #expect(throws: AggregationError.self) { try cal.parseTime(text) }
        #expect(error?.message.contains("'\(text)'") == true)
    }

    @Test func durations() throws {
        #expect(try parseDuration("30d") == 30 * 86_400_000)
        #expect(try parseDuration("12h") == 12 * 3_600_000)
        #expect(try parseDuration("15m") == 15 * 60_000)
        #expect(try parseDuration("45s") == 45_000)
        #expect(try parseDuration("2w") == 14 * 86_400_000)
        #expect(try parseDuration("500ms") == 500)
        #expect(try parseDuration("0s") == 0)
        #expect(try parseDuration("1h30m") == 90 * 60_000)
        #expect(try parseDuration("1d12h") == 36 * 3_600_000)
        #expect(try parseDuration(" 5m ") == 300_000)
        #expect(try parseDuration("1m1ms") == 60_001)
    }

    @Test(
        "invalid durations are rejected",
        arguments: [
            "", "5", "m", "5x", "-5m", "5M", "5 m", "1.5h", "h5", "5mss", "99999999999999999999d", "9999999999999d",
        ])
    func invalidDurations(_ text: String) {
        let error = #expect(throws: AggregationError.self) { try parseDuration(text) }
        #expect(error?.message.contains("'\(text)'") == true)
    }
}
