import TestSupport
import Testing

@testable import Aggregation

@Suite("Partial value encoding")
struct CodecTests {
    @Test("decode(encode(x)) == x for random partials", arguments: allKinds)
    func randomRoundTrips(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        var rng = SeededRNG(seed: 0xC0DEC + UInt64(kind.name.utf8.count))
        for trial in 0..<200 {
            let p = try Gen.partial(m, &rng, maxRows: 30, stringsForMinMax: trial % 2 == 0)
            let bytes = m.encode(p)
            #expect(bytes[0] == 1)
            #expect(try m.decode(bytes) == p, "trial \(trial)")
            #expect(m.encode(try m.decode(bytes)) == bytes, "trial \(trial)")
        }
    }

    static let specials: [(MonoidKind, PartialValue)] = {
        var dense = HyperLogLog()
        for i in 0..<20_000 { dense.insert(.int(Int64(i))) }
        var sparse = HyperLogLog()
        for i in 0..<50 { sparse.insert(.string("k\(i)")) }
        var truncated = SpaceSaving(capacity: 3)
        for i in 0..<20 { truncated.add(.int(Int64(i % 7)), count: Int64(i)) }
        var mixed = SpaceSaving(k: 2)
        mixed.add(.string("日本"), count: 4)
        mixed.add(.double(-0.0))
        mixed.add(.double(.nan), count: 2)
        mixed.add(.bool(true), count: 9)
        mixed.add(.int(Int64.min), count: Int64.max)
        return [
            (.sum, .int(0)), (.sum, .int(Int64.min)), (.sum, .int(Int64.max)),
            (.sum, .double(-0.0)), (.sum, .double(.nan)), (.sum, .double(-.infinity)),
            (.sum, .double(Double(bitPattern: 0x7FF0_0000_0000_0001))),  // signalling NaN payload
            (.sum, .double(.leastNonzeroMagnitude)),
            (.count, .int(123_456_789)),
            (.min, .string("")), (.max, .string("a\u{0}b\u{10FFFF}e\u{301}")),
            (.max, .double(1e308)),
            (.first, .timed(millis: Int64.min, value: .bool(true))),
            (.last, .timed(millis: Int64.max, value: .string("x"))),
            (.first, .timed(millis: -1, value: .double(.nan))),
            (.last, .timed(millis: 0, value: .int(-1))),
            (.distinct, .hll(HyperLogLog())), (.distinct, .hll(sparse)), (.distinct, .hll(dense)),
            (.topk(k: 1), .topk(SpaceSaving(k: 1))), (.topk(k: 1), .topk(truncated)),
            (.topk(k: 2), .topk(mixed)),
        ]
    }()

    @Test func specialValuesRoundTrip() throws {
        for (kind, p) in Self.specials {
            let m = Monoid(kind)
            let bytes = m.encode(p)
            let back = try m.decode(bytes)
            #expect(back == p, "\(kind) \(p)")
            #expect(m.encode(back) == bytes, "\(kind) \(p)")
        }
        // NaN payloads and the sign of zero survive bit for bit.
        let m = Monoid(.sum)
        guard case .double(let d) = try m.decode(m.encode(.double(Double(bitPattern: 0x7FF0_0000_0000_0001)))) else {
            Issue.record("not a double")
            return
        }
        #expect(d.bitPattern == 0x7FF0_0000_0000_0001)
    }

    @Test func documentedLayout() throws {
        #expect(Monoid(.sum).encode(.int(1)) == [1, 0x01, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(Monoid(.sum).encode(.double(1)) == [1, 0x02, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect(Monoid(.min).encode(.string("hé")) == [1, 0x03, 3, 0, 0, 0, 0x68, 0xC3, 0xA9])
        #expect(
            Monoid(.first).encode(.timed(millis: -1, value: .bool(true)))
                == [1, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x04, 1])
        #expect(Monoid(.distinct).encode(.hll(HyperLogLog())) == [1, 0x05, 14, 0, 25, 0, 0, 0, 0])
        var s = SpaceSaving(capacity: 2)
        s.add(.int(5), count: 3)
        #expect(
            Monoid(.topk(k: 1)).encode(.topk(s))
                == [
                    1, 0x06, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                    0x01, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ])
        var dense = HyperLogLog()
        for i in 0..<10_000 { dense.insert(.int(Int64(i))) }
        #expect(dense.isDense)
        #expect(Monoid(.distinct).encode(.hll(dense)).count == 4 + 16384)
    }

    @Test func malformedInputIsRejected() throws {
        let sum = Monoid(.sum)
        let good = sum.encode(.int(7))
        #expect(throws: AggregationError.self) { try sum.decode([]) }
        #expect(throws: AggregationError.self) { try sum.decode([2] + good.dropFirst()) }  // version
        #expect(throws: AggregationError.self) { try sum.decode([1, 0x7F]) }  // tag
        #expect(throws: AggregationError.self) { try sum.decode(Array(good.dropLast())) }  // truncated
        #expect(throws: AggregationError.self) { try sum.decode(good + [0]) }  // trailing
        // A partial of another monoid's shape.
        #expect(throws: AggregationError.self) { try sum.decode(Monoid(.min).encode(.string("a"))) }
        #expect(throws: AggregationError.self) { try Monoid(.count).decode(sum.encode(.double(1))) }
        #expect(throws: AggregationError.self) { try Monoid(.distinct).decode(good) }
        // Invalid UTF-8.
        #expect(throws: AggregationError.self) { try Monoid(.min).decode([1, 0x03, 1, 0, 0, 0, 0xFF]) }
        // HLL: unsorted sparse entries, bad rank, bad register.
        let e1: UInt32 = 5 << 6 | 1
        let e2: UInt32 = 3 << 6 | 1
        var unsorted: [UInt8] = [1, 0x05, 14, 0, 25, 2, 0, 0, 0]
        for e in [e1, e2] { withUnsafeBytes(of: e.littleEndian) { unsorted += $0 } }
        #expect(throws: AggregationError.self) { try Monoid(.distinct).decode(unsorted) }
        var badRank: [UInt8] = [1, 0x05, 14, 0, 25, 1, 0, 0, 0]
        withUnsafeBytes(of: (UInt32(5 << 6 | 41)).littleEndian) { badRank += $0 }
        #expect(throws: AggregationError.self) { try Monoid(.distinct).decode(badRank) }
        var badDense: [UInt8] = [1, 0x05, 14, 1] + [UInt8](repeating: 0, count: 16384)
        badDense[100] = 52
        #expect(throws: AggregationError.self) { try Monoid(.distinct).decode(badDense) }
        // topk: duplicate items, more counters than capacity.
        var dup: [UInt8] = [1, 0x06, 5, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
        for _ in 0..<2 { dup += [0x04, 1] + [UInt8](repeating: 0, count: 16) }
        #expect(throws: AggregationError.self) { try Monoid(.topk(k: 1)).decode(dup) }
        var over: [UInt8] = [1, 0x06, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
        for b in [UInt8(0), 1] { over += [0x04, b] + [UInt8](repeating: 0, count: 16) }
        #expect(throws: AggregationError.self) { try Monoid(.topk(k: 1)).decode(over) }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var rng = SeededRNG(seed: 0xF422)
        for kind in allKinds {
            let m = Monoid(kind)
            for _ in 0..<500 {
                var bytes = [UInt8(1), UInt8(1 + rng.below(6))]
                for _ in 0..<rng.below(40) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                _ = try? m.decode(bytes)
            }
        }
    }
}
