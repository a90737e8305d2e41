import TestSupport
@testable import Aggregation

/// Zipf ranks on the shared seeded generator.
extension SeededRNG {
    /// A Zipf-distributed rank in 1...n with exponent s, by inverting a precomputed CDF.
    mutating func zipf(_ cdf: [Double]) -> Int {
        let u = unit() * cdf[cdf.count - 1]
        var lo = 0
        var hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo + 1
    }

    static func zipfCDF(n: Int, s: Double) -> [Double] {
        var cdf: [Double] = []
        cdf.reserveCapacity(n)
        var acc = 0.0
        for k in 1...n {
            acc += 1.0 / pow(Double(k), s)
            cdf.append(acc)
        }
        return cdf
    }
}

/// Random rows and partials for monoid property tests.
enum Gen {
    /// A random scalar suitable for `kind` (numbers for sum; numbers or strings for min/max;
    /// anything for first/last/distinct/topk). Values are drawn from small pools so ties and
    /// repeats happen.
    static func value(for kind: MonoidKind, _ rng: inout SeededRNG, mixedMinMax: Bool = false) -> ScalarValue {
        switch kind {
        case .sum:
            // Dyadic values (multiples of 1/8) well inside 2^40: every double sum is exact, so
            // associativity holds bit for bit.
            if rng.chance(0.5) { return .int(Int64(rng.below(2_000_001)) - 1_000_000) }
            return .double(Double(Int64(rng.below(16_001)) - 8000) / 8)
        case .count:
            return .int(Int64(rng.below(10)))
        case .min, .max:
            if mixedMinMax || rng.chance(0.5) {
                switch rng.below(6) {
                case 0: return .int(Int64(rng.below(21)) - 10)
                case 1: return .double(Double(Int64(rng.below(41)) - 20) / 2)
                case 2: return .double([-0.0, 0.0, .nan, .infinity, -.infinity][rng.below(5)])
                case 3: return .int([Int64.min, Int64.max, 0, 9_007_199_254_740_993][rng.below(4)])
                case 4:
                    return .double(
                        [9_007_199_254_740_992.0, -9.223372036854775808e18, 9.223372036854775808e18][rng.below(3)])
                default: return .int(Int64(rng.below(5)))
                }
            }
            return .string(string(&rng))
        case .first, .last, .distinct, .topk:
            switch rng.below(4) {
            case 0: return .int(Int64(rng.below(50)))
            case 1: return .double([0.5, -0.0, 0.0, .nan, 3][rng.below(5)])
            case 2: return .string(string(&rng))
            default: return .bool(rng.chance(0.5))
            }
        }
    }

    static func string(_ rng: inout SeededRNG) -> String {
        let pool = ["", "a", "b", "ab", "abc", "zz", "é", "e\u{301}", "日本", "a\u{0}b", "longer string value", "Z"]
        return pool[rng.below(pool.count)]
    }

    /// A random partial: lift 1...maxRows random rows and fold them. Strings and numbers are not
    /// mixed for min/max within one partial list (`stringsOnly` picks which).
    static func partial(_ monoid: Monoid, _ rng: inout SeededRNG, maxRows: Int = 6, stringsForMinMax: Bool) throws
        -> PartialValue
    {
        let rows = 1 + rng.below(maxRows)
        var acc: PartialValue? = nil
        for _ in 0..<rows {
            var v = value(for: monoid.kind, &rng)
            if case .min = monoid.kind { v = minMaxValue(stringsForMinMax, &rng) }
            if case .max = monoid.kind { v = minMaxValue(stringsForMinMax, &rng) }
            let millis = Int64(rng.below(5))  // few distinct times, so first/last ties happen
            let lifted = try monoid.lift(v, millis: millis)
            acc = try acc.map { try monoid.combine($0, lifted) } ?? lifted
        }
        return acc!
    }

    static func minMaxValue(_ strings: Bool, _ rng: inout SeededRNG) -> ScalarValue {
        if strings { return .string(string(&rng)) }
        while true {
            let v = value(for: .min, &rng, mixedMinMax: true)
            if case .string = v { continue }
            return v
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
