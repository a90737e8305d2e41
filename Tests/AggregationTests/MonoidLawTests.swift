import TestSupport
import Testing

@testable import Aggregation

/// Every monoid kind the laws are checked for (topk with a small k; its default capacity of 100
/// exceeds the ~70 distinct values the generators draw, so it stays exact).
let allKinds: [MonoidKind] = [.sum, .count, .min, .max, .first, .last, .distinct, .topk(k: 3)]

extension MonoidKind: CustomTestStringConvertible {
    public var testDescription: String {
        if case .topk(let k) = self { return "topk(\(k))" }
        return name
    }
}

@Suite("Monoid laws")
struct MonoidLawTests {
    static let trials = 300

    @Test("combine is associative", arguments: allKinds)
    func associativity(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        var rng = SeededRNG(seed: 0xA550C + UInt64(kind.name.utf8.count))
        for trial in 0..<Self.trials {
            let strings = trial % 2 == 0
            let a = try Gen.partial(m, &rng, stringsForMinMax: strings)
            let b = try Gen.partial(m, &rng, stringsForMinMax: strings)
            let c = try Gen.partial(m, &rng, stringsForMinMax: strings)
            let left = try m.combine(m.combine(a, b), c)
            let right = try m.combine(a, m.combine(b, c))
            #expect(left == right, "trial \(trial): \(a) \(b) \(c)")
            // Encoded bytes agree too: the tie rules make the result unique, not just equal.
            #expect(m.encode(left) == m.encode(right) || kind == .sum, "trial \(trial)")
        }
    }

    @Test("combine is commutative", arguments: allKinds)
    func commutativity(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        var rng = SeededRNG(seed: 0xC033 + UInt64(kind.name.utf8.count))
        for trial in 0..<Self.trials {
            let strings = trial % 2 == 1
            let a = try Gen.partial(m, &rng, stringsForMinMax: strings)
            let b = try Gen.partial(m, &rng, stringsForMinMax: strings)
            let ab = try m.combine(a, b)
            let ba = try m.combine(b, a)
            #expect(ab == ba, "trial \(trial): \(a) \(b)")
            #expect(m.encode(ab) == m.encode(ba), "trial \(trial)")
        }
    }

    @Test("identity where one exists", arguments: allKinds)
    func identity(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        switch kind {
        case .sum, .count, .distinct, .topk:
            let e = try #require(m.identity)
            var rng = SeededRNG(seed: 0x1D + UInt64(kind.name.utf8.count))
            for _ in 0..<Self.trials {
                let a = try Gen.partial(m, &rng, stringsForMinMax: false)
                #expect(try m.combine(e, a) == a)
                #expect(try m.combine(a, e) == a)
            }
            #expect(try m.combine(e, e) == e)
        case .min, .max, .first, .last:
            #expect(m.identity == nil)
        }
    }

    @Test("folding a shuffled list, or a random tree, gives the same result", arguments: allKinds)
    func foldOrderIndependence(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        var rng = SeededRNG(seed: 0xF01D + UInt64(kind.name.utf8.count))
        for trial in 0..<60 {
            let strings = trial % 2 == 0
            let parts = try (0..<(2 + rng.below(40))).map { _ in
                try Gen.partial(m, &rng, maxRows: 3, stringsForMinMax: strings)
            }
            let inOrder = try parts.dropFirst().reduce(parts[0]) { try m.combine($0, $1) }
            var shuffled = parts
            shuffled.shuffle(using: &rng)
            let reordered = try shuffled.dropFirst().reduce(shuffled[0]) { try m.combine($0, $1) }
            #expect(inOrder == reordered, "trial \(trial)")
            #expect(m.encode(inOrder) == m.encode(reordered) || kind == .sum, "trial \(trial)")
            // A random binary tree of combines.
            var pool = shuffled
            while pool.count > 1 {
                let i = rng.below(pool.count - 1)
                let merged = try m.combine(pool[i], pool[i + 1])
                pool.replaceSubrange(i...(i + 1), with: [merged])
            }
            #expect(pool[0] == inOrder, "trial \(trial)")
        }
    }

    @Test("accumulate matches lift + combine", arguments: allKinds)
    func accumulateMatchesCombine(_ kind: MonoidKind) throws {
        let m = Monoid(kind)
        var rng = SeededRNG(seed: 0xACC + UInt64(kind.name.utf8.count))
        for trial in 0..<40 {
            let strings = trial % 2 == 0
            var viaAccumulate: PartialValue? = nil
            var viaCombine: PartialValue? = nil
            for _ in 0..<(1 + rng.below(200)) {
                var v = Gen.value(for: kind, &rng)
                if kind == .min || kind == .max { v = Gen.minMaxValue(strings, &rng) }
                let millis = Int64(rng.below(100))
                try m.accumulate(into: &viaAccumulate, v, millis: millis)
                let lifted = try m.lift(v, millis: millis)
                viaCombine = try viaCombine.map { try m.combine($0, lifted) } ?? lifted
            }
            #expect(viaAccumulate == viaCombine, "trial \(trial)")
        }
    }
}

@Suite("Monoid semantics")
struct MonoidSemanticsTests {
    @Test func sumOverflowThrows() throws {
        let sum = Monoid(.sum)
        #expect(throws: AggregationError.overflow) { try sum.combine(.int(Int64.max), .int(1)) }
        #expect(throws: AggregationError.overflow) { try sum.combine(.int(Int64.min), .int(-1)) }
        var acc: PartialValue? = .int(Int64.max - 1)
        try sum.accumulate(into: &acc, .int(1), millis: 0)
        #expect(acc == .int(Int64.max))
        #expect(throws: AggregationError.overflow) { try sum.accumulate(into: &acc, .int(1), millis: 0) }
        // Mixed int + double is a double sum and never overflows.
        #expect(try sum.combine(.int(Int64.max), .double(1)) == .double(9.223372036854775807e18 + 1))
        #expect(try sum.combine(.int(2), .double(0.5)) == .double(2.5))
        #expect(try sum.combine(.double(0.25), .int(-1)) == .double(-0.75))
        let count = Monoid(.count)
        #expect(throws: AggregationError.overflow) { try count.combine(.int(Int64.max), .int(1)) }
    }

    @Test func liftRules() throws {
        #expect(try Monoid(.count).lift(nil, millis: 0) == .int(1))
        #expect(try Monoid(.count).lift(.string("x"), millis: 0) == .int(1))
        #expect(throws: AggregationError.self) { try Monoid(.sum).lift(.bool(true), millis: 0) }
        #expect(throws: AggregationError.self) { try Monoid(.sum).lift(.string("1"), millis: 0) }
        #expect(throws: AggregationError.self) { try Monoid(.min).lift(.bool(true), millis: 0) }
        for kind in allKinds where kind != .count {
            #expect(throws: AggregationError.self) { try Monoid(kind).lift(nil, millis: 0) }
        }
        #expect(try Monoid(.max).lift(.string("é"), millis: 0) == .string("é"))
        #expect(try Monoid(.first).lift(.bool(false), millis: 7) == .timed(millis: 7, value: .bool(false)))
        // Shape mismatches are errors, not crashes.
        #expect(throws: AggregationError.self) { try Monoid(.min).combine(.int(1), .string("a")) }
        #expect(throws: AggregationError.self) { try Monoid(.count).combine(.double(1), .int(1)) }
        #expect(throws: AggregationError.self) { try Monoid(.distinct).combine(.int(1), .int(1)) }
        #expect(throws: AggregationError.self) { try Monoid(.first).combine(.int(1), .int(1)) }
    }

    @Test func minMaxCompareIntsAndDoublesExactly() throws {
        let mn = Monoid(.min)
        let mx = Monoid(.max)
        // 2^53 + 1 is not a double; the exact comparison still orders it above 2^53.
        #expect(
            try mx.combine(.int(9_007_199_254_740_993), .double(9_007_199_254_740_992)) == .int(9_007_199_254_740_993))
        #expect(
            try mn.combine(.int(9_007_199_254_740_993), .double(9_007_199_254_740_992))
                == .double(9_007_199_254_740_992))
        #expect(try mx.combine(.int(Int64.max), .double(9.223372036854775808e18)) == .double(9.223372036854775808e18))
        #expect(try mn.combine(.int(Int64.min), .double(-9.223372036854775808e18)) == .int(Int64.min))
        #expect(try mx.combine(.int(3), .double(2.5)) == .int(3))
        #expect(try mn.combine(.int(-3), .double(-2.5)) == .int(-3))
        // Equal values: int before double, -0.0 before 0.0.
        #expect(try mn.combine(.double(1), .int(1)) == .int(1))
        #expect(try mx.combine(.int(1), .double(1)) == .double(1))
        let minZero = try mn.combine(.double(0.0), .double(-0.0))
        guard case .double(let z) = minZero else {
            Issue.record("not a double")
            return
        }
        #expect(z.sign == .minus)
        // NaN is the largest number.
        guard case .double(let n) = try mx.combine(.double(.infinity), .double(.nan)) else { return }
        #expect(n.isNaN)
        #expect(try mn.combine(.double(.nan), .int(5)) == .int(5))
        // Strings by UTF-8 bytes: "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9).
        #expect(try mn.combine(.string("a"), .string("Z")) == .string("Z"))
        #expect(try mx.combine(.string("é"), .string("z")) == .string("é"))
        #expect(try mn.combine(.string("ab"), .string("a")) == .string("a"))
    }

    @Test func firstAndLastBreakTiesByValue() throws {
        let first = Monoid(.first)
        let last = Monoid(.last)
        let early = PartialValue.timed(millis: 1, value: .int(9))
        let late = PartialValue.timed(millis: 2, value: .int(0))
        #expect(try first.combine(late, early) == early)
        #expect(try last.combine(early, late) == late)
        let x = PartialValue.timed(millis: 5, value: .string("b"))
        let y = PartialValue.timed(millis: 5, value: .string("a"))
        #expect(try first.combine(x, y) == y)
        #expect(try first.combine(y, x) == y)
        #expect(try last.combine(x, y) == x)
        #expect(try last.combine(y, x) == x)
        // Across kinds: bool < int < double < string.
        let b = PartialValue.timed(millis: 5, value: .bool(true))
        let i = PartialValue.timed(millis: 5, value: .int(-100))
        #expect(try first.combine(i, b) == b)
        #expect(try last.combine(i, b) == i)
    }

    @Test func parsingKinds() throws {
        #expect(try MonoidKind(parsing: "sum") == .sum)
        #expect(try MonoidKind(parsing: " COUNT ") == .count)
        #expect(try MonoidKind(parsing: "distinct") == .distinct)
        #expect(try MonoidKind(parsing: "first") == .first)
        #expect(try MonoidKind(parsing: "last") == .last)
        #expect(try MonoidKind(parsing: "min") == .min)
        #expect(try MonoidKind(parsing: "max") == .max)
        #expect(try MonoidKind(parsing: "topk") == .topk(k: 10))
        #expect(try MonoidKind(parsing: "topk", k: 3) == .topk(k: 3))
        #expect(try MonoidKind(parsing: "topk(25)") == .topk(k: 25))
        #expect(try MonoidKind(parsing: "sum", k: 4) == .sum)
        #expect(throws: AggregationError.self) { try MonoidKind(parsing: "median") }
        #expect(throws: AggregationError.self) { try MonoidKind(parsing: "topk", k: 0) }
        let error = #expect(throws: AggregationError.self) { try MonoidKind(parsing: "avg") }
        #expect(error?.message.contains("avg") == true)
    }

    @Test func renderJSON() throws {
        #expect(Monoid(.sum).renderJSON(.int(-42)) == "-42")
        #expect(Monoid(.sum).renderJSON(.double(0.1)) == "0.1")
        #expect(Monoid(.sum).renderJSON(.double(1)) == "1.0")
        #expect(Monoid(.sum).renderJSON(.double(1e-7)) == "1e-07")
        #expect(Monoid(.sum).renderJSON(.double(.nan)) == "\"NaN\"")
        #expect(Monoid(.sum).renderJSON(.double(.infinity)) == "\"Infinity\"")
        #expect(Monoid(.max).renderJSON(.double(-.infinity)) == "\"-Infinity\"")
        #expect(Monoid(.max).renderJSON(.string("a\"b\\c\nd\u{1}é")) == "\"a\\\"b\\\\c\\nd\\u0001é\"")
        #expect(Monoid(.count).renderJSON(.int(3)) == "3")
        #expect(Monoid(.last).renderJSON(.timed(millis: 1, value: .bool(true))) == "true")
        #expect(Monoid(.first).renderJSON(.timed(millis: 1, value: .string("x"))) == "\"x\"")
        #expect(Monoid(.first).renderJSON(.timed(millis: 1, value: .double(2.5))) == "2.5")
        var h = HyperLogLog()
        for i in 0..<100 { h.insert(.int(Int64(i))) }
        #expect(Monoid(.distinct).renderJSON(.hll(h)) == "100")
        var s = SpaceSaving(k: 2)
        for (item, n) in [("a", 3), ("b", 5), ("c", 3), ("d", 1)] { s.add(.string(item), count: Int64(n)) }
        s.add(.int(7), count: 3)
        #expect(
            Monoid(.topk(k: 3)).renderJSON(.topk(s))
                == "[{\"item\": \"b\", \"count\": 5}, {\"item\": 7, \"count\": 3}, {\"item\": \"a\", \"count\": 3}]")
        #expect(Monoid(.topk(k: 1)).renderJSON(.topk(SpaceSaving(k: 1))) == "[]")
    }
}
