import Testing
@testable import Datasets

private func parts(_ text: String) -> [HivePartition] {
    text.split(separator: "/").map { component in
        let kv = component.split(separator: "=", maxSplits: 1)
        return HivePartition(key: String(kv[0]), value: String(kv[1]))
    }
}

private func matches(_ filter: String, _ path: String) throws -> Bool {
    try PartitionFilter(filter).matches(parts(path))
}

private func filterError(_ text: String) -> String? {
    do {
        _ = try PartitionFilter(text)
        return nil
    } catch let error as DatasetError {
        return error.message
    } catch {
        return "\(error)"
    }
}

@Suite struct PartitionFilterTests {
    @Test func conjunctionFromTheBrief() throws {
        let f = try PartitionFilter("year = 2026 and month = 5 and day in (8, 9) and hour >= 6")
        #expect(f.keys == ["year", "month", "day", "hour"])
        #expect(f.matches(parts("year=2026/month=05/day=08/hour=06")))
        #expect(f.matches(parts("year=2026/month=05/day=09/hour=23")))
        #expect(!f.matches(parts("year=2026/month=05/day=09/hour=05")))
        #expect(!f.matches(parts("year=2026/month=05/day=10/hour=12")))
        #expect(!f.matches(parts("year=2025/month=05/day=08/hour=12")))
    }

    @Test func numericVersusStringComparison() throws {
        #expect(try matches("hour = 7", "hour=07"))
        #expect(try matches("hour == 07", "hour=7"))
        #expect(try matches("hour > 9", "hour=10"))  // numerically; as strings "10" < "9"
        #expect(try !matches("hour < 9", "hour=10"))
        #expect(try matches("price = 2.50", "price=2.5"))
        #expect(try matches("delta < 0", "delta=-3"))
        #expect(try matches("delta = 0", "delta=-0"))
        #expect(try matches("big > 9223372036854775807", "big=9223372036854775808"))
        #expect(try matches("big = 123456789012345678901234567890", "big=123456789012345678901234567890"))
        #expect(try !matches("big = 123456789012345678901234567890", "big=123456789012345678901234567891"))
        // Strings: a non-number on either side compares as text.
        #expect(try matches("country = US", "country=US"))
        #expect(try !matches("country = us", "country=US"))
        #expect(try matches("date >= 2026-05-08", "date=2026-05-09"))
        #expect(try !matches("date > 2026-05-08", "date=2026-05-08"))
        #expect(try matches("hour = '07'", "hour=7"))  // a quoted number is still a number
        #expect(try matches("name < b", "name=abc"))
        #expect(try !matches("v = 7", "v=7a"))
    }

    @Test func operators() throws {
        #expect(try matches("h != 3", "h=4"))
        #expect(try matches("h <> 3", "h=4"))
        #expect(try !matches("h <> 3", "h=03"))
        #expect(try matches("h <= 3", "h=3"))
        #expect(try matches("h >= 3", "h=3"))
        #expect(try !matches("h < 3", "h=3"))
        #expect(try matches("h>3", "h=4"))  // no spaces needed
        #expect(try matches("h in (1, 2, 03)", "h=3"))
        #expect(try !matches("h in (1, 2)", "h=3"))
        #expect(try matches("h not in (1, 2)", "h=3"))
        #expect(try !matches("h NOT IN (1, 3)", "h=3"))
        #expect(try matches("h between 6 and 12", "h=6"))
        #expect(try matches("h between 6 and 12", "h=12"))
        #expect(try !matches("h between 6 and 12", "h=13"))
        #expect(try matches("h not between 6 and 12", "h=13"))
        #expect(try matches("c in ('a b', \"c\", d)", "c=a b"))
        #expect(try matches("c = 'it''s'", "c=it's"))
        #expect(try matches("c = 'it\\'s'", "c=it's"))
        #expect(try matches("`weird key` = 1", "weird key=1"))
    }

    @Test func booleanLogicAndPrecedence() throws {
        // and binds tighter than or.
        let f = try PartitionFilter("a = 1 or b = 1 and c = 1")
        #expect(f.matches(parts("a=1/b=0/c=0")))
        #expect(!f.matches(parts("a=0/b=1/c=0")))
        #expect(f.matches(parts("a=0/b=1/c=1")))
        let g = try PartitionFilter("(a = 1 or b = 1) and c = 1")
        #expect(!g.matches(parts("a=1/b=0/c=0")))
        #expect(g.matches(parts("a=1/b=0/c=1")))
        #expect(try matches("not a = 1", "a=2"))
        #expect(try !matches("NOT (a = 1 OR a = 2)", "a=2"))
        #expect(try matches("not not a = 1", "a=1"))
        #expect(try matches("a = 1 AnD (b = 2 Or not b = 3)", "a=1/b=4"))
    }

    @Test func absentKeys() throws {
        // A comparison on a key the path lacks is false, whatever the operator; `not` of it is true.
        #expect(try !matches("zone = 1", "a=1"))
        #expect(try !matches("zone != 1", "a=1"))
        #expect(try !matches("zone not in (1)", "a=1"))
        #expect(try !matches("zone not between 1 and 2", "a=1"))
        #expect(try matches("not zone = 1", "a=1"))
        #expect(try matches("a = 1 or zone = 1", "a=1"))
        #expect(try !PartitionFilter("a = 1").matches([]))
    }

    @Test func firstOccurrenceOfARepeatedKeyWins() throws {
        #expect(try matches("a = 1", "a=1/a=2"))
        #expect(try !matches("a = 2", "a=1/a=2"))
    }

    @Test func keys() throws {
        let f = try PartitionFilter("(a = 1 or not b in (1)) and c between 1 and 2 or `d e` != x")
        #expect(f.keys == ["a", "b", "c", "d e"])
    }

    @Test func mayMatchPrunes() throws {
        let f = try PartitionFilter("year = 2026 and month = 5 and day in (8, 9) and hour >= 6")
        #expect(f.mayMatch(prefix: []))
        #expect(f.mayMatch(prefix: parts("year=2026")))
        #expect(!f.mayMatch(prefix: parts("year=2025")))
        #expect(f.mayMatch(prefix: parts("year=2026/month=05")))
        #expect(!f.mayMatch(prefix: parts("year=2026/month=04")))
        #expect(!f.mayMatch(prefix: parts("year=2026/month=05/day=10")))
        #expect(f.mayMatch(prefix: parts("year=2026/month=05/day=09")))
        #expect(!f.mayMatch(prefix: parts("year=2026/month=05/day=09/hour=05")))
        // Unknown keys could still match deeper down.
        #expect(f.mayMatch(prefix: parts("region=eu")))

        let g = try PartitionFilter("year = 2025 or hour = 3")
        #expect(g.mayMatch(prefix: parts("year=2026")))  // hour is still unknown
        #expect(!g.mayMatch(prefix: parts("year=2026/hour=4")))
        let n = try PartitionFilter("not (year = 2026 and month = 5)")
        #expect(n.mayMatch(prefix: parts("year=2026")))
        #expect(!n.mayMatch(prefix: parts("year=2026/month=5")))
        #expect(n.mayMatch(prefix: parts("year=2025")))
        // mayMatch is never false where matches is true.
        for path in ["year=2026/month=05/day=08/hour=06", "year=2026/month=05/day=09/hour=05"] {
            let full = parts(path)
            for k in 0...full.count where f.matches(full) {
                #expect(f.mayMatch(prefix: Array(full.prefix(k))))
            }
        }
    }

    @Test func errorsNamePositions() {
        #expect(filterError("year = 2026 and hour >= ") == "partition filter: expected a value after '>=' at column 25")
        #expect(filterError("hour >=") == "partition filter: expected a value after '>=' at column 8")
        #expect(filterError("") == "partition filter: the filter is empty at column 1")
        #expect(filterError("year = 'abc") == "partition filter: unterminated string at column 8")
        #expect(filterError("(year = 1") ==
            "partition filter: expected ')' to close the '(' at column 1, found end of filter at column 10")
        #expect(filterError("year = 1)") == "partition filter: unmatched ')' at column 9")
        #expect(filterError("year 2026")?.contains("expected a comparison operator") == true)
        #expect(filterError("year 2026")?.hasSuffix("at column 6") == true)
        #expect(filterError("year in 1, 2")?.hasSuffix("at column 9") == true)
        #expect(filterError("year in (1, 2") ==
            "partition filter: expected ',' or ')' in the list after 'in', found end of filter at column 14")
        #expect(filterError("year between 1 or 2")?.hasPrefix("partition filter: expected 'and' in") == true)
        #expect(filterError("and = 1")?.hasPrefix("partition filter: expected a partition key") == true)
        #expect(filterError("a = 1 b = 2")?.hasSuffix("at column 7") == true)
        #expect(filterError("a ! 1") == "partition filter: unexpected '!' (did you mean '!='?) at column 3")
        #expect(filterError("a not = 1")?.hasPrefix("partition filter: expected 'in' or 'between' after 'not'") == true)
        #expect(filterError("a = 1 and") == "partition filter: expected a partition key, found end of filter at column 10")
    }
}
