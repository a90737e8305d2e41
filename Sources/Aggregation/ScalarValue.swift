/// One column value of a row, as the monoids see it.
///
/// Equality and hashing (`Hashable`) follow the *value* rather than the bit pattern where the
/// two differ: every NaN equals every other NaN, `-0.0 == 0.0`, and strings compare by their
/// UTF-8 bytes (not by Unicode canonical equivalence, so "é" precomposed and decomposed are two
/// different values, as in Spark). Different cases are never equal: `.int(1) != .double(1)`
/// and `.int(1) != .string("1")`.
public enum ScalarValue: Sendable, Hashable {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)

    public static func == (lhs: ScalarValue, rhs: ScalarValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return utf8Compare(a, b) == 0
        case (.bool(let a), .bool(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .int(let v):
            hasher.combine(UInt8(1))
            hasher.combine(v)
        case .double(let d):
            hasher.combine(UInt8(2))
            hasher.combine(normalizedDoubleBits(d))
        case .string(let s):
            hasher.combine(UInt8(3))
            withUTF8Buffer(s) { hasher.combine(bytes: $0) }
        case .bool(let b):
            hasher.combine(UInt8(4))
            hasher.combine(b)
        }
    }

    /// Rank of the case in the total order used for deterministic tie-breaking:
    /// bool < int < double < string.
    @inline(__always)
    var kindRank: Int {
        switch self {
        case .bool: return 0
        case .int: return 1
        case .double: return 2
        case .string: return 3
        }
    }

    /// A total order on scalar values, used only to break ties deterministically
    /// (first/last at equal times, top-k at equal counts). Cases order bool < int < double <
    /// string; within a case: false < true, integers numerically, doubles by IEEE total order
    /// with every NaN equal and largest (and -0.0 before 0.0), strings by UTF-8 bytes.
    /// Returns -1, 0 or 1.
    public static func totalOrder(_ a: ScalarValue, _ b: ScalarValue) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), .double(let y)):
            let kx = doubleOrderKey(x)
            let ky = doubleOrderKey(y)
            return kx < ky ? -1 : (kx == ky ? 0 : 1)
        case (.string(let x), .string(let y)): return utf8Compare(x, y)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        default:
            return a.kindRank < b.kindRank ? -1 : 1
        }
    }
}

extension ScalarValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .int(let v): return "int(\(v))"
        case .double(let d): return "double(\(d))"
        case .string(let s): return "string(\(s.debugDescription))"
        case .bool(let b): return "bool(\(b))"
        }
    }
}

// MARK: - Helpers shared by the value types

/// Bits of a double with every NaN mapped to one canonical quiet NaN and -0.0 mapped to 0.0,
/// so that values equal under `ScalarValue ==` have equal bits.
@inline(__always)
func normalizedDoubleBits(_ d: Double) -> UInt64 {
    if d.isNaN { return 0x7FF8_0000_0000_0000 }
    if d == 0 { return 0 }
    return d.bitPattern
}

/// A signed key whose integer order is the IEEE 754 total order of doubles, except that every
/// NaN maps to one key above +infinity.
@inline(__always)
func doubleOrderKey(_ d: Double) -> Int64 {
    let bits = d.isNaN ? UInt64(0x7FF8_0000_0000_0000) : d.bitPattern
    let s = Int64(bitPattern: bits)
    // Negative doubles: flip the magnitude bits so that larger magnitudes sort lower.
    return s < 0 ? s ^ Int64.max : s
}

/// Runs `body` on the contiguous UTF-8 bytes of `s` (native Swift strings need no copy).
@inline(__always)
func withUTF8Buffer<R>(_ s: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if let r = try s.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
        return r
    }
    var copy = s
    copy.makeContiguousUTF8()
    return try copy.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) })!
}

/// Compares two strings by their UTF-8 bytes (unsigned, lexicographic). Returns -1, 0 or 1.
func utf8Compare(_ a: String, _ b: String) -> Int {
    withUTF8Buffer(a) { pa in
        withUTF8Buffer(b) { pb in
            compareBytes(pa, pb)
        }
    }
}

@inline(__always)
func compareBytes(_ pa: UnsafeRawBufferPointer, _ pb: UnsafeRawBufferPointer) -> Int {
    let n = min(pa.count, pb.count)
    var i = 0
    if n >= 8, let ba = pa.baseAddress, let bb = pb.baseAddress {
        while i + 8 <= n {
            let wa = UInt64(bigEndian: ba.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let wb = UInt64(bigEndian: bb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if wa != wb { return wa < wb ? -1 : 1 }
            i += 8
        }
    }
    while i < n {
        let x = pa[i]
        let y = pb[i]
        if x != y { return x < y ? -1 : 1 }
        i += 1
    }
    return pa.count == pb.count ? 0 : (pa.count < pb.count ? -1 : 1)
}
