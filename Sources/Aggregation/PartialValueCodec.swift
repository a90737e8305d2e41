/// Binary serialization of `PartialValue`: the state-store format of partial aggregates.
///
/// Stable: version 1 never changes meaning; a new layout gets a new version byte. Every integer
/// is little-endian. `decode(encode(x)) == x` for every partial.
///
///     offset 0   u8   format version, 1
///     offset 1   u8   tag, then the tag's fields:
///
///     0x01 int      i64   value
///     0x02 double   u64   IEEE 754 bits (NaN payloads and -0.0 kept as they are)
///     0x03 string   u32   byte count n, then n bytes of UTF-8
///     0x04 timed    i64   event time (epoch ms), then a scalar
///     0x05 hll      u8    precision (14)
///                   u8    mode: 0 sparse, 1 dense
///                   sparse: u8 sparse precision (25), u32 entry count n (<= 4096), then n u32
///                           entries `index25 << 6 | rank` (rank 1...40), indexes strictly
///                           increasing
///                   dense:  16384 u8 registers (each 0...51)
///     0x06 topk     u64   capacity (>= 1)
///                   u8    truncated: 0 or 1
///                   u32   counter count n (<= capacity), then n counters in canonical order
///                         (count descending, ties by item ascending), each:
///                         a scalar (the item), i64 count, i64 error
///
///     scalar:  u8 kind, then  0x01 int: i64 | 0x02 double: u64 bits |
///              0x03 string: u32 n + n UTF-8 bytes | 0x04 bool: u8 0 or 1
///
/// `decode` rejects a wrong version, an unknown tag, truncated input, trailing bytes, invalid
/// UTF-8, out-of-range fields, duplicate topk items, and a partial whose shape does not belong
/// to the monoid (e.g. an hll partial given to `sum`).
extension Monoid {
    public static let encodingVersion: UInt8 = 1

    enum Tag: UInt8 {
        case int = 0x01
        case double = 0x02
        case string = 0x03
        case timed = 0x04
        case hll = 0x05
        case topk = 0x06
    }

    enum ScalarTag: UInt8 {
        case int = 0x01
        case double = 0x02
        case string = 0x03
        case bool = 0x04
    }

    /// Serializes a partial (see the format above).
    public func encode(_ p: PartialValue) -> [UInt8] {
        var out: [UInt8] = []
        encode(p, into: &out)
        return out
    }

    /// Appends the serialization of `p` to `out` (for callers that reuse one buffer).
    public func encode(_ p: PartialValue, into out: inout [UInt8]) {
        out.append(Self.encodingVersion)
        switch p {
        case .int(let v):
            out.append(Tag.int.rawValue)
            out.appendLE(UInt64(bitPattern: v))
        case .double(let d):
            out.append(Tag.double.rawValue)
            out.appendLE(d.bitPattern)
        case .string(let s):
            out.append(Tag.string.rawValue)
            out.appendString(s)
        case .timed(let millis, let value):
            out.append(Tag.timed.rawValue)
            out.appendLE(UInt64(bitPattern: millis))
            out.appendScalar(value)
        case .hll(let h):
            out.append(Tag.hll.rawValue)
            out.append(UInt8(HyperLogLog.precision))
            if h.isDense {
                out.append(1)
                h.withRegisterBytes { out.append(contentsOf: $0) }
            } else {
                out.append(0)
                out.append(UInt8(HyperLogLog.sparsePrecision))
                out.appendLE(UInt32(h.sparse.count))
                out.reserveCapacity(out.count + 4 * h.sparse.count)
                for e in h.sparse { out.appendLE(e) }
            }
        case .topk(let s):
            out.append(Tag.topk.rawValue)
            out.appendLE(UInt64(s.capacity))
            out.append(s.truncated ? 1 : 0)
            let counters = s.counters
            out.appendLE(UInt32(counters.count))
            for c in counters {
                out.appendScalar(c.item)
                out.appendLE(UInt64(bitPattern: c.count))
                out.appendLE(UInt64(bitPattern: c.error))
            }
        }
    }

    /// Parses a serialization produced by `encode` (see the format above).
    public func decode(_ bytes: [UInt8]) throws -> PartialValue {
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == Self.encodingVersion else {
            throw AggregationError(
                "partial value: unsupported format version \(version) (expected \(Self.encodingVersion))")
        }
        let tagByte = try r.u8()
        guard let tag = Tag(rawValue: tagByte) else {
            throw AggregationError("partial value: unknown tag 0x\(String(tagByte, radix: 16))")
        }
        let p: PartialValue
        switch tag {
        case .int:
            p = .int(Int64(bitPattern: try r.u64()))
        case .double:
            p = .double(Double(bitPattern: try r.u64()))
        case .string:
            p = .string(try r.string())
        case .timed:
            let millis = Int64(bitPattern: try r.u64())
            p = .timed(millis: millis, value: try r.scalar())
        case .hll:
            let precision = try r.u8()
            guard Int(precision) == HyperLogLog.precision else {
                throw AggregationError("partial value: hll precision \(precision) is not \(HyperLogLog.precision)")
            }
            let mode = try r.u8()
            switch mode {
            case 0:
                let sp = try r.u8()
                guard Int(sp) == HyperLogLog.sparsePrecision else {
                    throw AggregationError(
                        "partial value: hll sparse precision \(sp) is not \(HyperLogLog.sparsePrecision)")
                }
                let n = Int(try r.u32())
                guard n <= HyperLogLog.sparseLimit else {
                    throw AggregationError("partial value: hll sparse count \(n) exceeds \(HyperLogLog.sparseLimit)")
                }
                try r.need(4 * n)
                var entries = [UInt32]()
                entries.reserveCapacity(n)
                var previous: Int64 = -1
                for _ in 0..<n {
                    let e = try r.u32()
                    let rank = e & 63
                    let index = Int64(e >> 6)
                    guard rank >= 1, rank <= 40, index > previous, index < (1 << 25) else {
                        throw AggregationError("partial value: malformed hll sparse entry 0x\(String(e, radix: 16))")
                    }
                    previous = index
                    entries.append(e)
                }
                p = .hll(HyperLogLog(sparse: entries))
            case 1:
                let regs = try r.take(HyperLogLog.registerCount)
                guard regs.allSatisfy({ $0 <= 51 }) else {
                    throw AggregationError("partial value: hll register above 51")
                }
                p = .hll(HyperLogLog(registers: regs))
            default:
                throw AggregationError("partial value: unknown hll mode \(mode)")
            }
        case .topk:
            let capacity = try r.u64()
            guard capacity >= 1, capacity <= UInt64(Int.max) else {
                throw AggregationError("partial value: topk capacity \(capacity) out of range")
            }
            let truncatedByte = try r.u8()
            guard truncatedByte <= 1 else {
                throw AggregationError("partial value: topk truncated flag \(truncatedByte) is not 0 or 1")
            }
            let n = Int(try r.u32())
            guard UInt64(n) <= capacity else {
                throw AggregationError("partial value: topk holds \(n) counters, more than its capacity \(capacity)")
            }
            var counters: [(item: ScalarValue, count: Int64, error: Int64)] = []
            counters.reserveCapacity(Swift.min(n, r.remaining / 17))
            var seen = Set<ScalarValue>()
            for _ in 0..<n {
                let item = try r.scalar()
                let count = Int64(bitPattern: try r.u64())
                let error = Int64(bitPattern: try r.u64())
                guard seen.insert(item).inserted else {
                    throw AggregationError("partial value: topk item \(item) appears twice")
                }
                counters.append((item, count, error))
            }
            p = .topk(SpaceSaving(capacity: Int(capacity), truncated: truncatedByte == 1, counters: counters))
        }
        guard r.remaining == 0 else {
            throw AggregationError("partial value: \(r.remaining) trailing bytes")
        }
        guard accepts(p) else {
            throw AggregationError("partial value: a \(p.caseName) partial does not belong to \(kind.name)")
        }
        return p
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendLE(_ v: UInt64) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendLE(_ v: UInt32) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        withUTF8Buffer(s) { buf in
            appendLE(UInt32(truncatingIfNeeded: buf.count))
            append(contentsOf: buf)
        }
    }

    mutating func appendScalar(_ v: ScalarValue) {
        switch v {
        case .int(let x):
            append(Monoid.ScalarTag.int.rawValue)
            appendLE(UInt64(bitPattern: x))
        case .double(let d):
            append(Monoid.ScalarTag.double.rawValue)
            appendLE(d.bitPattern)
        case .string(let s):
            append(Monoid.ScalarTag.string.rawValue)
            appendString(s)
        case .bool(let b):
            append(Monoid.ScalarTag.bool.rawValue)
            append(b ? 1 : 0)
        }
    }
}

/// Bounds-checked little-endian reader over a byte array.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    func need(_ n: Int) throws {
        guard n >= 0, n <= remaining else {
            throw AggregationError(
                "partial value: truncated (needs \(n) more bytes at offset \(position), has \(remaining))")
        }
    }

    mutating func u8() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32() throws -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    mutating func u64() throws -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return v
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    mutating func string() throws -> String {
        let n = Int(try u32())
        try need(n)
        let slice = bytes[position..<position + n]
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw AggregationError("partial value: string at offset \(position) is not valid UTF-8")
        }
        position += n
        return s
    }

    mutating func scalar() throws -> ScalarValue {
        let kindByte = try u8()
        switch Monoid.ScalarTag(rawValue: kindByte) {
        case .int: return .int(Int64(bitPattern: try u64()))
        case .double: return .double(Double(bitPattern: try u64()))
        case .string: return .string(try string())
        case .bool:
            let b = try u8()
            guard b <= 1 else { throw AggregationError("partial value: bool byte \(b) is not 0 or 1") }
            return .bool(b == 1)
        case nil:
            throw AggregationError("partial value: unknown scalar kind 0x\(String(kindByte, radix: 16))")
        }
    }
}
