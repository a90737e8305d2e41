import TestSupport
import Testing

@testable import Aggregation

@Suite("HyperLogLog")
struct HyperLogLogTests {
    static func relativeError(_ estimate: Int64, _ truth: Int) -> Double {
        abs(Double(estimate) - Double(truth)) / Double(truth)
    }

    @Test func oneMillionDistinctWithinTwoPercent() {
        var h = HyperLogLog()
        for i in 0..<1_000_000 { h.insert(hash: HyperLogLog.hash(.int(Int64(i)))) }
        #expect(h.isDense)
        let err = Self.relativeError(h.estimate, 1_000_000)
        #expect(err < 0.02, "estimate \(h.estimate)")
    }

    @Test("100k distinct within 2%", arguments: ["ints", "strings", "doubles"])
    func hundredThousandWithinTwoPercent(_ kind: String) {
        var h = HyperLogLog()
        for i in 0..<100_000 {
            switch kind {
            case "ints": h.insert(.int(Int64(i) * 7919 - 400_000))
            case "strings": h.insert(.string("user-\(i)"))
            default: h.insert(.double(Double(i) * 0.25))
            }
        }
        #expect(Self.relativeError(h.estimate, 100_000) < 0.02, "estimate \(h.estimate)")
    }

    @Test func accuracyAcrossTheRange() {
        // Every checkpoint from the sparse range through the dense small/mid range.
        var h = HyperLogLog()
        let checkpoints = [5_000, 10_000, 20_000, 40_000, 60_000, 80_000, 150_000, 300_000]
        var next = 0
        var rng = SeededRNG(seed: 77)
        for i in 1...checkpoints.last! {
            h.insert(hash: rng.next())
            if i == checkpoints[next] {
                #expect(Self.relativeError(h.estimate, i) < 0.025, "n=\(i) estimate \(h.estimate)")
                next += 1
            }
        }
    }

    @Test func smallCountsAreNearlyExact() {
        var h = HyperLogLog()
        #expect(h.estimate == 0)
        #expect(h.isEmpty)
        var worst: Int64 = 0
        for i in 0..<1000 {
            h.insert(.string("id-\(i)"))
            h.insert(.string("id-\(i / 2)"))  // repeats change nothing
            worst = max(worst, abs(h.estimate - Int64(i + 1)))
        }
        #expect(worst <= 1, "worst absolute error \(worst)")
        #expect(!h.isDense)
        #expect(h.byteSize <= 4000)
    }

    @Test func mergeOfOverlappingSetsIsTheUnion() {
        var a = HyperLogLog()
        var b = HyperLogLog()
        for i in 0..<600_000 { a.insert(.int(Int64(i))) }
        for i in 400_000..<1_000_000 { b.insert(.int(Int64(i))) }
        let u = a.merged(with: b)
        #expect(Self.relativeError(u.estimate, 1_000_000) < 0.02, "estimate \(u.estimate)")
        #expect(u == b.merged(with: a))
        var direct = HyperLogLog()
        for i in 0..<1_000_000 { direct.insert(.int(Int64(i))) }
        #expect(u == direct)
        // Small sparse sets merge exactly too.
        var c = HyperLogLog()
        var d = HyperLogLog()
        for i in 0..<300 { c.insert(.int(Int64(i))) }
        for i in 200..<700 { d.insert(.int(Int64(i))) }
        #expect(c.merged(with: d).estimate == 700)
        #expect(!c.merged(with: d).isDense)
    }

    @Test func sparseToDenseTransitionPreservesTheEstimate() {
        var h = HyperLogLog()
        var rng = SeededRNG(seed: 4096)
        var hashes: [UInt64] = []
        while !h.isDense {
            let x = rng.next()
            hashes.append(x)
            let before = h.estimate
            let wasSparse = !h.isDense
            h.insert(hash: x)
            if h.isDense && wasSparse {
                let after = h.estimate
                #expect(abs(Double(after - before)) / Double(before) < 0.02, "before \(before) after \(after)")
                #expect(h.sparseCount == 0)
                #expect(h.byteSize == 16384)
            }
        }
        #expect(hashes.count > HyperLogLog.sparseLimit)
        // The converted registers equal what dense insertion gives: rebuild by merging a sparse
        // half into a dense sketch and compare, in both orders.
        var firstHalf = HyperLogLog()
        var secondHalf = HyperLogLog()
        for (i, x) in hashes.enumerated() {
            if i % 2 == 0 { firstHalf.insert(hash: x) } else { secondHalf.insert(hash: x) }
        }
        #expect(!firstHalf.isDense && !secondHalf.isDense)
        #expect(firstHalf.merged(with: secondHalf) == h)
        var bigger = h
        for _ in 0..<10_000 { bigger.insert(hash: rng.next()) }
        #expect(bigger.merged(with: firstHalf) == firstHalf.merged(with: bigger))
        #expect(bigger.merged(with: h) == bigger)
    }

    @Test func foldingLiftedRowsEqualsInserting() throws {
        // Per-row lift + combine(into:) takes the in-place path; across the dense switch too.
        let m = Monoid(.distinct)
        var acc = try m.lift(.int(-1), millis: 0)
        var direct = HyperLogLog()
        direct.insert(.int(-1))
        for i in 0..<6000 {
            let v = ScalarValue.string("row-\(i % 5000)")
            try m.combine(into: &acc, try m.lift(v, millis: 0))
            direct.insert(v)
            if i == 100 || i == 4500 { #expect(acc == .hll(direct)) }
        }
        #expect(acc == .hll(direct))
        guard case .hll(let h) = acc else { return }
        #expect(h.isDense)
        // A small sketch merged into a big one, and the other way round.
        var small = HyperLogLog()
        for i in 0..<5 { small.insert(.int(Int64(i))) }
        #expect(small.merged(with: h) == h.merged(with: small))
    }

    @Test func representationDependsOnlyOnTheSet() {
        var rng = SeededRNG(seed: 99)
        let values = (0..<5000).map { _ in rng.next() }
        var a = HyperLogLog()
        var b = HyperLogLog()
        for v in values { a.insert(hash: v) }
        for v in values.reversed() { b.insert(hash: v) }
        #expect(a == b)
        #expect(Monoid(.distinct).encode(.hll(a)) == Monoid(.distinct).encode(.hll(b)))
    }

    @Test func denseFromSparseMatchesDirectDenseRanks() {
        var rng = SeededRNG(seed: 5)
        for _ in 0..<10_000 {
            var x = rng.next()
            // Exercise long runs of zeros as well.
            x >>= UInt64(rng.below(64))
            let entry = HyperLogLog.sparseEntry(x)
            let (i1, r1) = HyperLogLog.denseFromSparse(entry)
            let (i2, r2) = HyperLogLog.denseIndexRank(x)
            #expect(i1 == i2 && r1 == r2, "hash \(x)")
        }
        #expect(HyperLogLog.denseIndexRank(0).1 == 51)
        #expect(HyperLogLog.sparseEntry(0) & 63 == 40)
    }
}

@Suite("Stable hash")
struct StableHashTests {
    @Test func pinnedValues() {
        // Regression guard: these values must never change (sketches are stored).
        let pins: [(ScalarValue, UInt64)] = [
            (.int(0), HashPins.int0), (.int(1), HashPins.int1), (.int(-1), HashPins.intMinus1),
            (.string(""), HashPins.emptyString), (.string("1"), HashPins.string1),
            (.string("hello, world"), HashPins.helloWorld),
            (.string("a string longer than sixteen bytes"), HashPins.longString),
            (.double(1), HashPins.double1), (.bool(true), HashPins.boolTrue),
        ]
        for (v, expected) in pins {
            #expect(HyperLogLog.hash(v) == expected, "\(v): 0x\(String(HyperLogLog.hash(v), radix: 16))")
        }
    }

    @Test func kindsAndNormalisation() {
        #expect(HyperLogLog.hash(.int(7)) != HyperLogLog.hash(.string("7")))
        #expect(HyperLogLog.hash(.int(7)) != HyperLogLog.hash(.double(7)))
        #expect(HyperLogLog.hash(.int(1)) != HyperLogLog.hash(.bool(true)))
        #expect(HyperLogLog.hash(.double(0.0)) == HyperLogLog.hash(.double(-0.0)))
        #expect(HyperLogLog.hash(.double(.nan)) == HyperLogLog.hash(.double(Double(bitPattern: 0x7FF0_0000_0000_0001))))
        for s in [
            "", "a", "abcdefg", "abcdefgh", "abcdefghi", "0123456789abcdef", "0123456789abcdefg",
            String(repeating: "xyz", count: 50),
        ] {
            let viaBytes = Array(s.utf8).withUnsafeBytes { HyperLogLog.hash(bytes: $0) }
            #expect(HyperLogLog.hash(.string(s)) == viaBytes, "\(s)")
        }
    }

    @Test func noCollisionsAndBalancedBitsOnStructuredInput() {
        // Sequential ints and short similar strings: no collisions, and every output bit set
        // in close to half the hashes.
        var seen = Set<UInt64>()
        var ones = [Int](repeating: 0, count: 64)
        let n = 200_000
        for i in 0..<n {
            let h = i % 2 == 0 ? HyperLogLog.hash(.int(Int64(i / 2))) : HyperLogLog.hash(.string("k\(i / 2)"))
            seen.insert(h)
            for b in 0..<64 where h & (1 << UInt64(b)) != 0 { ones[b] += 1 }
        }
        #expect(seen.count == n)
        for b in 0..<64 {
            #expect(abs(Double(ones[b]) / Double(n) - 0.5) < 0.01, "bit \(b): \(ones[b])")
        }
    }

    @Test func avalanche() {
        // Flipping one input bit flips about half of the output bits.
        var rng = SeededRNG(seed: 31)
        var total = 0
        var samples = 0
        for _ in 0..<2000 {
            let x = Int64(bitPattern: rng.next())
            let bit = Int64(1) << Int64(rng.below(64))
            let d = HyperLogLog.hash(.int(x)) ^ HyperLogLog.hash(.int(x ^ bit))
            total += d.nonzeroBitCount
            var bytes = (0..<12).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let h1 = bytes.withUnsafeBytes { HyperLogLog.hash(bytes: $0) }
            bytes[rng.below(12)] ^= UInt8(1 << rng.below(8))
            let h2 = bytes.withUnsafeBytes { HyperLogLog.hash(bytes: $0) }
            total += (h1 ^ h2).nonzeroBitCount
            samples += 2
        }
        let mean = Double(total) / Double(samples)
        #expect(abs(mean - 32) < 1, "mean flipped bits \(mean)")
    }
}

enum HashPins {
    static let int0: UInt64 = 0x7417_DF87_4A41_0811
    static let int1: UInt64 = 0x4BAB_136C_4A51_261A
    static let intMinus1: UInt64 = 0x0033_1AEC_9725_8987
    static let emptyString: UInt64 = 0x4600_C922_F8A8_612D
    static let string1: UInt64 = 0x890A_DCD5_EBE0_76DE
    static let helloWorld: UInt64 = 0x9BBA_0CF7_3BB1_25B7
    static let longString: UInt64 = 0x34B8_8A1A_D832_1917
    static let double1: UInt64 = 0x3BC1_9E47_8742_8B53
    static let boolTrue: UInt64 = 0x0125_E4A5_2834_E3FA
}
