import Aggregation
import Testing
@testable import StateStores

/// The blob of the `partial_sets` table: round trips, merges (bf_combine) and malformed input.
@Suite struct PartialSetTests {
    static func encoded(_ entries: [(Int64, PartialValue)], _ monoid: Monoid) -> [UInt8] {
        var out: [UInt8] = []
        PartialSet.encode(entries, monoid: monoid, into: &out)
        return out
    }

    static func merged(_ a: [UInt8], _ b: [UInt8], _ monoid: Monoid) throws -> [(Int64, PartialValue)] {
        var out: [UInt8] = []
        try a.withUnsafeBytes { x in try b.withUnsafeBytes { y in try PartialSet.merge(x, y, monoid: monoid, into: &out) } }
        return try out.withUnsafeBytes { try PartialSet.decode($0, monoid: monoid) }
    }

    @Test func integersRoundTripIncludingExtremes() throws {
        let sum = Monoid(.sum)
        let entries: [(Int64, PartialValue)] = [(BucketCalendar.lifetimeBucket, .int(.min)), (-3_600_000, .int(-1)), (0, .int(0)),
                                                (1_778_198_400_000, .int(.max))]
        let blob = Self.encoded(entries, sum)
        #expect(blob[0] == PartialSet.integers)
        let back = try blob.withUnsafeBytes { try PartialSet.decode($0, monoid: sum) }
        #expect(back.map(\.0) == entries.map(\.0))
        #expect(back.map(\.1) == entries.map(\.1))
    }

    @Test func mergeCombinesEqualBucketsAndKeepsOrder() throws {
        let sum = Monoid(.sum)
        let a = Self.encoded([(1, .int(1)), (3, .int(3)), (5, .int(5))], sum)
        let b = Self.encoded([(0, .int(10)), (3, .int(30)), (6, .int(60))], sum)
        let m = try Self.merged(a, b, sum)
        #expect(m.map(\.0) == [0, 1, 3, 5, 6])
        #expect(m.map(\.1) == [.int(10), .int(1), .int(33), .int(5), .int(60)])
    }

    @Test func integerSumOverflowThrows() throws {
        let sum = Monoid(.sum)
        let a = Self.encoded([(7, .int(.max))], sum)
        let b = Self.encoded([(7, .int(1))], sum)
        #expect(throws: AggregationError.overflow) { try Self.merged(a, b, sum) }
    }

    @Test func generalValuesMergeWithTheMonoid() throws {
        let sum = Monoid(.sum)
        let a = Self.encoded([(1, .int(2)), (2, .double(0.5))], sum)
        #expect(a[0] == PartialSet.general)
        let b = Self.encoded([(1, .double(0.25)), (4, .int(4))], sum)
        let m = try Self.merged(a, b, sum)
        #expect(m.map(\.0) == [1, 2, 4])
        #expect(m.map(\.1) == [.double(2.25), .double(0.5), .int(4)])
        let max = Monoid(.max)
        let x = Self.encoded([(1, .int(3))], max), y = Self.encoded([(1, .int(9)), (2, .int(1))], max)
        #expect(try Self.merged(x, y, max).map(\.1) == [.int(9), .int(1)])
    }

    @Test func malformedSetsAreRejected() {
        let sum = Monoid(.sum)
        for bad: [UInt8] in [[], [0x01], [0x07, 0x00, 0x00], [0x01, 0x80], [0x01, 0x02, 0x02, 0x00, 0x02]] {
            #expect(throws: PartialSet.Malformed.self) { try bad.withUnsafeBytes { try PartialSet.decode($0, monoid: sum) } }
        }
    }
}
