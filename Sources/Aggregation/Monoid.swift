/// The kinds of monoid a pipeline can fold a column through.
public enum MonoidKind: Sendable, Hashable {
    case sum, count, min, max, first, last, distinct
    case topk(k: Int)

    /// Parses "sum", "count", "min", "max", "first", "last", "distinct", "topk" (case-insensitive,
    /// surrounding spaces ignored). For "topk", `k` defaults to 10; "topk(5)" also works.
    /// `k` is ignored for the other kinds. Throws for anything else, or for k < 1.
    public init(parsing text: String, k: Int? = nil) throws {
        let name = text.trimmingSpaces().lowercased()
        switch name {
        case "sum": self = .sum
        case "count": self = .count
        case "min": self = .min
        case "max": self = .max
        case "first": self = .first
        case "last": self = .last
        case "distinct": self = .distinct
        case "topk":
            let kk = k ?? 10
            guard kk >= 1 else { throw AggregationError("topk needs k >= 1, got \(kk)") }
            self = .topk(k: kk)
        default:
            if name.hasPrefix("topk(") && name.hasSuffix(")") {
                let inner = name.dropFirst(5).dropLast()
                if let kk = Int(inner), kk >= 1 {
                    self = .topk(k: kk)
                    return
                }
            }
            throw AggregationError(
                "unknown monoid '\(text)': expected sum, count, min, max, first, last, distinct or topk")
        }
    }

    /// The name `init(parsing:)` accepts ("topk" for every k).
    public var name: String {
        switch self {
        case .sum: return "sum"
        case .count: return "count"
        case .min: return "min"
        case .max: return "max"
        case .first: return "first"
        case .last: return "last"
        case .distinct: return "distinct"
        case .topk: return "topk"
        }
    }
}

/// A partial aggregate: one row's lifted value, or the combination of many.
///
/// Equality is by value: doubles compare with `==` except that NaN equals NaN (so `-0.0` equals
/// `0.0`), strings by UTF-8 bytes, sketches semantically.
public enum PartialValue: Sendable, Equatable {
    /// sum / count (count is always int) / min / max of integers.
    case int(Int64)
    /// sum / min / max of doubles (and sums mixing ints and doubles).
    case double(Double)
    /// min / max of strings.
    case string(String)
    /// first / last: the value with its event time.
    case timed(millis: Int64, value: ScalarValue)
    /// distinct.
    case hll(HyperLogLog)
    /// topk.
    case topk(SpaceSaving)

    public static func == (lhs: PartialValue, rhs: PartialValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return utf8Compare(a, b) == 0
        case (.timed(let m1, let v1), .timed(let m2, let v2)): return m1 == m2 && v1 == v2
        case (.hll(let a), .hll(let b)): return a == b
        case (.topk(let a), .topk(let b)): return a == b
        default: return false
        }
    }

    var caseName: String {
        switch self {
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .timed: return "timed"
        case .hll: return "hll"
        case .topk: return "topk"
        }
    }
}

/// A monoid (strictly: a commutative semigroup, see `identity`) over `PartialValue`.
///
/// Laws, all covered by property tests:
/// * `combine` is associative and commutative for every kind. Ties are broken by a total order
///   so that the *result* does not depend on the order: min/max order numbers numerically
///   (ints and doubles compared exactly; NaN above +infinity; at equal value int before double
///   and -0.0 before 0.0) and strings by UTF-8 bytes; first keeps the earlier time (at equal
///   times the smaller value by `ScalarValue.totalOrder`), last the later time (at equal times
///   the larger value).
/// * Two exceptions, inherent to the arithmetic: sums of doubles are associative only up to
///   floating-point rounding (exact while the partial sums are exactly representable), and a sum
///   of ints may throw `AggregationError.overflow` in one grouping and not in another.
/// * topk is exact, so associative, while the union of distinct items fits the capacity; past
///   that its counts are estimates whose error bounds hold in every grouping, and `combine`
///   stays commutative.
/// * Identities (`identity`): sum and count have `.int(0)`, distinct the empty sketch, topk the
///   empty summary. min, max, first and last have none (an empty group has no value; keep an
///   optional partial instead).
public struct Monoid: Sendable, Equatable {
    public let kind: MonoidKind

    public init(_ kind: MonoidKind) {
        self.kind = kind
    }

    /// The identity element, where one exists (see the type's documentation).
    public var identity: PartialValue? {
        switch kind {
        case .sum, .count: return .int(0)
        case .distinct: return .hll(HyperLogLog())
        case .topk(let k): return .topk(SpaceSaving(k: k))
        case .min, .max, .first, .last: return nil
        }
    }

    /// One row's contribution. `count` ignores the value (and accepts nil); every other kind
    /// needs a value. sum takes ints and doubles; min/max ints, doubles and strings; first/last,
    /// distinct and topk any value.
    public func lift(_ value: ScalarValue?, millis: Int64) throws -> PartialValue {
        if case .count = kind { return .int(1) }
        guard let value else {
            throw AggregationError("\(kind.name) cannot lift a null value (only count accepts nulls)")
        }
        switch kind {
        case .count:
            return .int(1)
        case .sum, .min, .max:
            switch value {
            case .int(let v): return .int(v)
            case .double(let d): return .double(d)
            case .string(let s):
                if case .sum = kind { throw AggregationError("sum cannot lift a string value \(s.debugDescription)") }
                return .string(s)
            case .bool:
                throw AggregationError("\(kind.name) cannot lift a bool value")
            }
        case .first, .last:
            return .timed(millis: millis, value: value)
        case .distinct:
            var h = HyperLogLog()
            h.insert(hash: HyperLogLog.hash(value))
            return .hll(h)
        case .topk(let k):
            var s = SpaceSaving(k: k)
            s.add(value)
            return .topk(s)
        }
    }

    /// Folds one row into an accumulator in place; `nil` means "no rows yet". Equivalent to
    /// `acc = acc.map { combine($0, lift(value)) } ?? lift(value)`, but without building the
    /// lifted partial, and sketches are updated in place (no per-row allocation).
    @inline(__always)
    public func accumulate(into acc: inout PartialValue?, _ value: ScalarValue?, millis: Int64) throws {
        if case .none = acc {
            acc = try lift(value, millis: millis)
            return
        }
        try accumulate(into: &acc!, value, millis: millis)
    }

    /// Folds one row into an existing accumulator in place.
    public func accumulate(into acc: inout PartialValue, _ value: ScalarValue?, millis: Int64) throws {
        if case .count = kind {
            guard case .int(let c) = acc else { throw mismatch(acc) }
            let (s, o) = c.addingReportingOverflow(1)
            if o { throw AggregationError.overflow }
            acc = .int(s)
            return
        }
        guard let value else { return try throwNull() }
        switch kind {
        case .count:
            return
        case .sum:
            switch acc {
            case .int(let x):
                switch value {
                case .int(let y):
                    let (s, o) = x.addingReportingOverflow(y)
                    if o { throw AggregationError.overflow }
                    acc = .int(s)
                case .double(let y): acc = .double(Double(x) + y)
                default: _ = try lift(value, millis: millis)
                }
            case .double(let x):
                switch value {
                case .int(let y): acc = .double(x + Double(y))
                case .double(let y): acc = .double(x + y)
                default: _ = try lift(value, millis: millis)
                }
            default:
                throw mismatch(acc)
            }
        case .min, .max:
            let lifted: PartialValue
            switch value {
            case .int(let v): lifted = .int(v)
            case .double(let d): lifted = .double(d)
            case .string(let s): lifted = .string(s)
            case .bool: lifted = try lift(value, millis: millis)
            }
            let c = try Self.order(lifted, acc, kind)
            if kind == .min ? c < 0 : c > 0 { acc = lifted }
        case .first:
            guard case .timed(let m, let v) = acc else { throw mismatch(acc) }
            if millis < m || (millis == m && ScalarValue.totalOrder(value, v) < 0) {
                acc = .timed(millis: millis, value: value)
            }
        case .last:
            guard case .timed(let m, let v) = acc else { throw mismatch(acc) }
            if millis > m || (millis == m && ScalarValue.totalOrder(value, v) > 0) {
                acc = .timed(millis: millis, value: value)
            }
        case .distinct:
            guard case .hll(var h) = acc else { throw mismatch(acc) }
            acc = .int(0)  // leaves `h` uniquely referenced, so it mutates in place
            h.insert(hash: HyperLogLog.hash(value))
            acc = .hll(h)
        case .topk:
            guard case .topk(var s) = acc else { throw mismatch(acc) }
            acc = .int(0)  // leaves `s` uniquely referenced, so it mutates in place
            s.add(value)
            acc = .topk(s)
        }
    }

    /// Associative, commutative combine. See the type's documentation for tie rules.
    /// Throws for partials of the wrong shape, and `AggregationError.overflow` for int sums
    /// that leave Int64.
    public func combine(_ a: PartialValue, _ b: PartialValue) throws -> PartialValue {
        switch kind {
        case .distinct:
            guard case .hll(let x) = a else { throw mismatch(a) }
            guard case .hll(let y) = b else { throw mismatch(b) }
            return .hll(x.merged(with: y))
        case .topk:
            guard case .topk(let x) = a else { throw mismatch(a) }
            guard case .topk(let y) = b else { throw mismatch(b) }
            return .topk(x.merged(with: y))
        default:
            var r = a
            try combine(into: &r, b)
            return r
        }
    }

    /// `acc = combine(acc, b)`, updating sketches in place.
    public func combine(into acc: inout PartialValue, _ b: PartialValue) throws {
        switch kind {
        case .sum:
            switch (acc, b) {
            case (.int(let x), .int(let y)):
                let (s, o) = x.addingReportingOverflow(y)
                if o { throw AggregationError.overflow }
                acc = .int(s)
            case (.int(let x), .double(let y)): acc = .double(Double(x) + y)
            case (.double(let x), .int(let y)): acc = .double(x + Double(y))
            case (.double(let x), .double(let y)): acc = .double(x + y)
            default: throw mismatch(acc, b)
            }
        case .count:
            guard case .int(let x) = acc, case .int(let y) = b else { throw mismatch(acc, b) }
            let (s, o) = x.addingReportingOverflow(y)
            if o { throw AggregationError.overflow }
            acc = .int(s)
        case .min:
            if try Self.order(b, acc, kind) < 0 { acc = b }
        case .max:
            if try Self.order(b, acc, kind) > 0 { acc = b }
        case .first:
            guard case .timed(let ma, let va) = acc, case .timed(let mb, let vb) = b else { throw mismatch(acc, b) }
            if mb < ma || (mb == ma && ScalarValue.totalOrder(vb, va) < 0) { acc = b }
        case .last:
            guard case .timed(let ma, let va) = acc, case .timed(let mb, let vb) = b else { throw mismatch(acc, b) }
            if mb > ma || (mb == ma && ScalarValue.totalOrder(vb, va) > 0) { acc = b }
        case .distinct:
            guard case .hll(var x) = acc else { throw mismatch(acc) }
            guard case .hll(let y) = b else { throw mismatch(b) }
            acc = .int(0)
            x.merge(y)
            acc = .hll(x)
        case .topk:
            guard case .topk(var x) = acc else { throw mismatch(acc) }
            guard case .topk(let y) = b else { throw mismatch(b) }
            acc = .int(0)
            x.merge(y)
            acc = .topk(x)
        }
    }

    /// Whether `p` has the shape this monoid produces.
    public func accepts(_ p: PartialValue) -> Bool {
        switch (kind, p) {
        case (.sum, .int), (.sum, .double), (.count, .int),
            (.min, .int), (.min, .double), (.min, .string),
            (.max, .int), (.max, .double), (.max, .string),
            (.first, .timed), (.last, .timed), (.distinct, .hll), (.topk, .topk):
            return true
        default:
            return false
        }
    }

    // MARK: - Ordering for min / max

    /// Total order on min/max partials: numbers numerically (exact between ints and doubles,
    /// NaN largest; at equal value int < double, and -0.0 < 0.0), strings by UTF-8 bytes.
    /// Strings and numbers do not mix.
    @inline(__always)
    static func order(_ a: PartialValue, _ b: PartialValue, _ kind: MonoidKind) throws -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), .double(let y)):
            let kx = doubleOrderKey(x)
            let ky = doubleOrderKey(y)
            return kx < ky ? -1 : (kx == ky ? 0 : 1)
        case (.int(let x), .double(let y)):
            let c = compareIntDouble(x, y)
            return c != 0 ? c : -1
        case (.double(let x), .int(let y)):
            let c = compareIntDouble(y, x)
            return c != 0 ? -c : 1
        case (.string(let x), .string(let y)):
            return utf8Compare(x, y)
        default:
            throw AggregationError("\(kind.name) cannot combine a \(a.caseName) partial with a \(b.caseName) partial")
        }
    }

    /// Exact comparison of an integer with a double (NaN above everything). -1, 0 or 1.
    @inline(__always)
    static func compareIntDouble(_ i: Int64, _ d: Double) -> Int {
        if d.isNaN { return -1 }
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let f = d.rounded(.down)
        let fi = Int64(f)
        if i < fi { return -1 }
        if i > fi { return 1 }
        return d > f ? -1 : 0
    }

    // MARK: - Errors

    func mismatch(_ p: PartialValue) -> AggregationError {
        AggregationError("\(kind.name) cannot use a \(p.caseName) partial")
    }

    func mismatch(_ a: PartialValue, _ b: PartialValue) -> AggregationError {
        AggregationError("\(kind.name) cannot combine a \(a.caseName) partial with a \(b.caseName) partial")
    }

    func throwNull() throws {
        throw AggregationError("\(kind.name) cannot lift a null value (only count accepts nulls)")
    }
}

extension String {
    /// The string without leading and trailing ASCII spaces, tabs and line breaks.
    func trimmingSpaces() -> String {
        let u = Array(utf8)
        var lo = 0
        var hi = u.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        while lo < hi && isSpace(u[lo]) { lo += 1 }
        while hi > lo && isSpace(u[hi - 1]) { hi -= 1 }
        if lo == 0 && hi == u.count { return self }
        return String(decoding: u[lo..<hi], as: UTF8.self)
    }
}
