import TestSupport
import Testing

@testable import Aggregation

@Suite("SpaceSaving")
struct SpaceSavingTests {
    @Test func defaultCapacity() {
        #expect(SpaceSaving(k: 3).capacity == 100)
        #expect(SpaceSaving(k: 10).capacity == 100)
        #expect(SpaceSaving(k: 25).capacity == 250)
    }

    @Test("exact while distinct items fit the capacity", arguments: [1, 50, 100])
    func exactWithinCapacity(_ distinct: Int) {
        var rng = SeededRNG(seed: UInt64(distinct))
        var s = SpaceSaving(k: 10)
        var truth: [ScalarValue: Int64] = [:]
        for _ in 0..<20_000 {
            let idx = rng.below(distinct)
            let item: ScalarValue = idx % 2 == 0 ? .int(Int64(idx)) : .string("s\(idx)")
            let n = Int64(1 + rng.below(3))
            s.add(item, count: n)
            truth[item, default: 0] += n
        }
        #expect(truth.count <= s.capacity)
        #expect(!s.truncated)
        #expect(s.count == truth.count)
        for (item, n) in truth {
            let c = s.counter(for: item)
            #expect(c?.count == n && c?.error == 0, "\(item)")
        }
        // top(k): by descending count, ties by item ascending.
        let expected = truth.map { (item: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : ScalarValue.totalOrder($0.item, $1.item) < 0
        }
        let top = s.top(truth.count)
        #expect(top.map(\.item) == expected.map(\.item))
        #expect(top.map(\.count) == expected.map(\.count))
        // Merging exact summaries split from the same stream stays exact.
        var a = SpaceSaving(k: 10)
        var b = SpaceSaving(k: 10)
        for (i, (item, n)) in truth.enumerated() {
            if i % 3 == 0 {
                a.add(item, count: n)
            } else {
                b.add(item, count: 1)
                b.add(item, count: n - 1)
            }
        }
        #expect(a.merged(with: b) == s)
        #expect(b.merged(with: a) == s)
    }

    @Test func zipfHeavyHittersAreReported() {
        var rng = SeededRNG(seed: 2024)
        let cdf = SeededRNG.zipfCDF(n: 50_000, s: 1.1)
        var s = SpaceSaving(k: 10)
        var truth: [Int: Int64] = [:]
        let n = 300_000
        for _ in 0..<n {
            let r = rng.zipf(cdf)
            s.add(.int(Int64(r)))
            truth[r, default: 0] += 1
        }
        #expect(s.truncated)
        #expect(s.isConsistent())
        let trueTop = truth.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10).map {
            $0.key
        }
        let reported = s.top(10).map { item -> Int in
            guard case .int(let v) = item.item else { return -1 }
            return Int(v)
        }
        #expect(Set(reported) == Set(trueTop), "reported \(reported) true \(trueTop)")
        // Every monitored counter brackets the true count, and the error is at most N / capacity.
        for c in s.counters {
            guard case .int(let v) = c.item else { continue }
            let t = truth[Int(v), default: 0]
            #expect(c.count - c.error <= t && t <= c.count)
            #expect(c.error <= Int64(n / s.capacity))
        }
        // Any item with more than N / capacity occurrences is monitored.
        for (item, count) in truth where count > Int64(n / s.capacity) {
            #expect(s.counter(for: .int(Int64(item))) != nil)
        }
    }

    @Test func mergedSummariesKeepTheirGuarantees() {
        var rng = SeededRNG(seed: 7)
        let cdf = SeededRNG.zipfCDF(n: 5000, s: 1.0)
        var truth: [ScalarValue: Int64] = [:]
        var parts: [SpaceSaving] = []
        for _ in 0..<12 {
            var s = SpaceSaving(capacity: 50)
            for _ in 0..<(1000 + rng.below(5000)) {
                let item = ScalarValue.int(Int64(rng.zipf(cdf)))
                s.add(item)
                truth[item, default: 0] += 1
            }
            parts.append(s)
        }
        let total = truth.values.reduce(0, +)
        for order in 0..<5 {
            var shuffled = parts
            shuffled.shuffle(using: &rng)
            var merged = shuffled[0]
            if order % 2 == 0 {
                for p in shuffled.dropFirst() { merged = merged.merged(with: p) }
            } else {
                var pool = shuffled
                while pool.count > 1 {
                    let i = rng.below(pool.count - 1)
                    pool.replaceSubrange(i...(i + 1), with: [pool[i].merged(with: pool[i + 1])])
                }
                merged = pool[0]
            }
            #expect(merged.count == 50)
            for c in merged.counters {
                let t = truth[c.item, default: 0]
                #expect(c.count - c.error <= t && t <= c.count, "\(c)")
            }
            for (item, t) in truth where merged.counter(for: item) == nil {
                #expect(t <= merged.unmonitoredBound, "\(item) \(t) > \(merged.unmonitoredBound)")
            }
            // The biggest items are found in any merge order.
            let top3 = truth.sorted { $0.value > $1.value }.prefix(3).map(\.key)
            for item in top3 { #expect(merged.counter(for: item) != nil) }
            #expect(merged.counters.allSatisfy { $0.error <= total })
        }
        // Commutative bit for bit, even when truncating.
        for i in 0..<parts.count - 1 {
            let ab = parts[i].merged(with: parts[i + 1])
            let ba = parts[i + 1].merged(with: parts[i])
            #expect(ab == ba)
            #expect(Monoid(.topk(k: 5)).encode(.topk(ab)) == Monoid(.topk(k: 5)).encode(.topk(ba)))
        }
    }

    @Test func evictionInheritsTheMinimumAsError() {
        var s = SpaceSaving(capacity: 2)
        s.add(.string("a"), count: 5)
        s.add(.string("b"), count: 2)
        s.add(.string("c"))  // evicts b (2): c = 3 with error 2
        #expect(s.truncated)
        #expect(s.counter(for: .string("b")) == nil)
        #expect(s.counter(for: .string("c"))! == (3, 2))
        #expect(s.top(5).map(\.count) == [5, 3])
        s.add(.string("a"), count: -4)  // ignored
        #expect(s.counter(for: .string("a"))!.count == 5)
    }

    @Test func inPlaceMergeEqualsTheDefinition() {
        // merge() folds small summaries in place; the result must equal the merge by
        // definition (sort everything, keep the top capacity), truncated or not, ties included.
        var rng = SeededRNG(seed: 0x5EED)
        func summary(capacity: Int, rows: Int) -> SpaceSaving {
            var s = SpaceSaving(capacity: capacity)
            for _ in 0..<rows {
                let idx = rng.below(30)
                s.add(idx % 3 == 0 ? .string("s\(idx)") : .int(Int64(idx)), count: Int64(1 + rng.below(2)))
            }
            return s
        }
        for trial in 0..<2000 {
            let big = summary(capacity: [4, 8, 20][rng.below(3)], rows: rng.below(60))
            let small = summary(capacity: [1, 2, 4, 16][rng.below(4)], rows: rng.below(8))
            let expected = SpaceSaving.mergeRebuilding(big, small)
            let a = big.merged(with: small)
            let b = small.merged(with: big)
            #expect(a == expected, "trial \(trial): \(big) + \(small) → \(a), expected \(expected)")
            #expect(b == expected, "trial \(trial)")
            #expect(a.isConsistent() && b.isConsistent())
        }
        // Per-row combine of lifted singletons into a full summary stays cheap and correct.
        let m = Monoid(.topk(k: 1))
        var acc = try! m.lift(.int(0), millis: 0)
        for i in 1..<5000 { try! m.combine(into: &acc, try! m.lift(.int(Int64(i % 700)), millis: 0)) }
        guard case .topk(let folded) = acc else {
            Issue.record("not topk")
            return
        }
        #expect(folded.isConsistent())
        #expect(folded.truncated)
    }

    @Test func indexStaysConsistentUnderChurn() {
        // Many evictions with colliding small tables: backward-shift deletion must keep every
        // monitored item reachable.
        var rng = SeededRNG(seed: 11)
        for capacity in [1, 2, 3, 7, 64] {
            var s = SpaceSaving(capacity: capacity)
            for step in 0..<20_000 {
                let item: ScalarValue = rng.chance(0.3) ? .string("s\(rng.below(40))") : .int(Int64(rng.below(200)))
                s.add(item, count: Int64(1 + rng.below(3)))
                if step % 997 == 0 { #expect(s.isConsistent(), "capacity \(capacity) step \(step)") }
            }
            #expect(s.isConsistent())
            #expect(s.count == capacity)
            let copy = s
            s.add(.int(-1), count: 1_000_000)  // copy on write leaves `copy` untouched
            #expect(copy.counter(for: .int(-1)) == nil)
            #expect(s.counter(for: .int(-1)) != nil)
            #expect(copy.isConsistent() && s.isConsistent())
        }
    }

    @Test func tiesAreOrderedByItem() {
        var s = SpaceSaving(k: 1)
        for item: ScalarValue in [.string("b"), .int(2), .bool(false), .double(1.5), .string("a"), .int(1)] {
            s.add(item, count: 4)
        }
        #expect(s.top(6).map(\.item) == [.bool(false), .int(1), .int(2), .double(1.5), .string("a"), .string("b")])
        #expect(s.top(0).isEmpty)
    }
}
