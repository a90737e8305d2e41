import Aggregation

/// The stored value of one `partial_sets` row: every bucket of one (pipeline, window, key, segment, generation),
/// as (bucket, partial) pairs sorted by bucket, in one blob.
///
/// Stable: a layout byte says how values are written; a new layout gets a new byte. Varints are unsigned
/// LEB128 (7 bits a byte, low bits first, high bit set on every byte but the last; at most 10 bytes);
/// "zigzag" maps a signed x to `(x << 1) ^ (x >> 63)`.
///
///     offset 0   u8   layout: 0x01 integers, 0x02 general
///     then one entry after another to the end of the blob (at least one entry), buckets strictly increasing:
///       bucket   zigzag varint of (bucket - previous bucket), wrapping Int64 arithmetic; the previous bucket
///                of the first entry is 0 (so the first is its bucket start, epoch ms, or Int64.min for lifetime)
///       value    0x01 integers: zigzag varint of the Int64 partial (sums and counts of integers, min/max/...
///                               whose partials are all `.int`)
///                0x02 general:  varint byte count n, then n bytes: the monoid's encoding of the partial
///                               (`Monoid.encode`, see PartialValueCodec.swift)
///
/// Merging two sets (`bf_combine`) merges by bucket; equal buckets are combined with the pipeline's monoid
/// (integer sums throw on overflow). The result is written as integers when every partial is `.int`.
public enum PartialSet {
    static let integers: UInt8 = 0x01
    static let general: UInt8 = 0x02

    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "malformed partial set: \(reason)" }
    }

    @inline(__always) static func appendVarint(_ v: UInt64, _ out: inout [UInt8]) {
        var x = v
        while x >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        out.append(UInt8(x))
    }

    @inline(__always) static func zigzag(_ x: Int64) -> UInt64 { UInt64(bitPattern: (x << 1) ^ (x >> 63)) }
    @inline(__always) static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    /// Starts an integer set in `out` (cleared).
    static func beginIntegers(_ out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(integers)
    }

    /// Appends one integer entry; `previous` is the last bucket written (0 before the first).
    @inline(__always) static func appendInt(bucket: Int64, value: Int64, previous: inout Int64, _ out: inout [UInt8]) {
        appendVarint(zigzag(bucket &- previous), &out)
        appendVarint(zigzag(value), &out)
        previous = bucket
    }

    /// Encodes entries sorted by strictly increasing bucket (integers when every partial is `.int`).
    static func encode(_ entries: [(Int64, PartialValue)], monoid: Monoid, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var previous: Int64 = 0
        if entries.allSatisfy({ if case .int = $0.1 { return true } else { return false } }) {
            out.append(integers)
            for (b, v) in entries {
                guard case .int(let x) = v else { continue }
                appendInt(bucket: b, value: x, previous: &previous, &out)
            }
            return
        }
        out.append(general)
        var scratch: [UInt8] = []
        for (b, v) in entries {
            appendVarint(zigzag(b &- previous), &out)
            previous = b
            scratch.removeAll(keepingCapacity: true)
            monoid.encode(v, into: &scratch)
            appendVarint(UInt64(scratch.count), &out)
            out.append(contentsOf: scratch)
        }
    }

    /// A reader over a set's bytes.
    struct Reader {
        let p: UnsafeRawBufferPointer
        var i = 1
        var previous: Int64 = 0
        let layout: UInt8

        init(_ p: UnsafeRawBufferPointer) throws {
            guard p.count >= 2 else { throw Malformed(reason: "\(p.count) bytes") }
            self.p = p
            layout = p[0]
            guard layout == integers || layout == general else { throw Malformed(reason: "unknown layout \(layout)") }
        }

        var atEnd: Bool { i >= p.count }

        @inline(__always) mutating func varint() throws -> UInt64 {
            var x: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < p.count else { throw Malformed(reason: "truncated") }
                let b = p[i]
                i += 1
                guard shift < 64 else { throw Malformed(reason: "varint too long") }
                x |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return x }
                shift += 7
            }
        }

        /// The next bucket; checks strict order.
        @inline(__always) mutating func bucket() throws -> Int64 {
            let b = previous &+ unzigzag(try varint())
            if !first && b <= previous { throw Malformed(reason: "buckets not increasing") }
            first = false
            previous = b
            return b
        }
        var first = true

        mutating func int() throws -> Int64 { unzigzag(try varint()) }

        mutating func value(_ monoid: Monoid) throws -> PartialValue {
            if layout == integers { return .int(try int()) }
            let n = Int(try varint())
            guard n >= 0, n <= p.count - i else { throw Malformed(reason: "truncated value") }
            let bytes = Array(p[i..<(i + n)])
            i += n
            return try monoid.decode(bytes)
        }
    }

    /// Every (bucket, partial) of a set.
    public static func decode(_ raw: UnsafeRawBufferPointer, monoid: Monoid) throws -> [(Int64, PartialValue)] {
        var r = try Reader(raw)
        var out: [(Int64, PartialValue)] = []
        while !r.atEnd {
            let b = try r.bucket()
            out.append((b, try r.value(monoid)))
        }
        return out
    }

    /// Merges two sets into `out`, combining equal buckets with the monoid.
    static func merge(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, monoid: Monoid, into out: inout [UInt8]) throws {
        var ra = try Reader(a), rb = try Reader(b)
        if ra.layout == integers && rb.layout == integers, case .sum = monoid.kind {
            try mergeIntegerSums(&ra, &rb, into: &out)
            return
        }
        if ra.layout == integers && rb.layout == integers, case .count = monoid.kind {
            try mergeIntegerSums(&ra, &rb, into: &out)
            return
        }
        let x = try decode(a, monoid: monoid), y = try decode(b, monoid: monoid)
        var merged: [(Int64, PartialValue)] = []
        merged.reserveCapacity(x.count + y.count)
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if j == y.count || (i < x.count && x[i].0 < y[j].0) {
                merged.append(x[i]); i += 1
            } else if i == x.count || y[j].0 < x[i].0 {
                merged.append(y[j]); j += 1
            } else {
                merged.append((x[i].0, try monoid.combine(x[i].1, y[j].1)))
                i += 1; j += 1
            }
        }
        encode(merged, monoid: monoid, into: &out)
    }

    private static func mergeIntegerSums(_ ra: inout Reader, _ rb: inout Reader, into out: inout [UInt8]) throws {
        beginIntegers(&out)
        var previous: Int64 = 0
        var ba: Int64? = ra.atEnd ? nil : try ra.bucket()
        var bb: Int64? = rb.atEnd ? nil : try rb.bucket()
        while ba != nil || bb != nil {
            if let x = ba, bb == nil || x < bb! {
                appendInt(bucket: x, value: try ra.int(), previous: &previous, &out)
                ba = ra.atEnd ? nil : try ra.bucket()
            } else if let y = bb, ba == nil || y < ba! {
                appendInt(bucket: y, value: try rb.int(), previous: &previous, &out)
                bb = rb.atEnd ? nil : try rb.bucket()
            } else {
                let u = try ra.int(), v = try rb.int()
                let (s, o) = u.addingReportingOverflow(v)
                if o { throw AggregationError.overflow }
                appendInt(bucket: ba!, value: s, previous: &previous, &out)
                ba = ra.atEnd ? nil : try ra.bucket()
                bb = rb.atEnd ? nil : try rb.bucket()
            }
        }
    }
}
