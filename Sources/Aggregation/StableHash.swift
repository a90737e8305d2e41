/// Stable 64-bit hashing for HyperLogLog (and anything else that must agree across processes,
/// machines and releases). Unlike Swift's `Hasher`, which is seeded per process, these functions
/// return the same value for the same input forever; tests pin a few outputs.
///
/// The construction ("fold-multiply"): `fold(a, b)` is the 128-bit product of `a` and `b`
/// with its high and low halves XORed together, a cheap and thorough 64-bit mixer.
///
/// * Bytes (`hash(bytes:)`, and strings by their UTF-8 bytes): the state starts as
///   `fold(seed ^ K0, length ^ K1)`. Every whole 16-byte block (two little-endian words
///   `w0`, `w1`) updates `state = fold(w0 ^ K2, w1 ^ state ^ K3)`. The last 1...16 bytes are
///   read as two little-endian words (for 9...16 bytes: the first 8 and the last 8 bytes, which
///   overlap; for 1...8 bytes: the bytes packed into `w0`, and `w1 = 0`) and folded the same
///   way (empty input has no tail step). Finally `fold(state ^ K4, length ^ K5)` and an
///   xor-shift `h ^ (h >> 29)`.
/// * A single word (ints, doubles, bools): `fold(fold(x ^ seed ^ K0, K6) ^ K4, K5 ^ seed)`,
///   then the same xor-shift.
///
/// Each value kind has its own seed, so `.int(7)`, `.double(7)`, `.string("7")` and
/// `.bool(true)` hash differently. A string hashes exactly like its UTF-8 bytes passed to
/// `hash(bytes:)`, so a reader can hash raw column bytes without building a `String`.
/// Doubles hash their bits after normalisation (`-0.0` as `0.0`, every NaN as one NaN), matching
/// `ScalarValue` equality.
enum StableHash {
    static let k0: UInt64 = 0x24A8_109F_0CF7_EE5D
    static let k1: UInt64 = 0x2ACD_B7BE_0435_F673
    static let k2: UInt64 = 0xCFAF_59A6_43CB_8E07
    static let k3: UInt64 = 0x949F_FE70_CF0B_C787
    static let k4: UInt64 = 0x3F85_2C00_1BF7_148B
    static let k5: UInt64 = 0xC9CA_2A5D_87AA_597B
    static let k6: UInt64 = 0x9708_8E14_7719_ABC7

    static let seedBytes: UInt64 = 0
    static let seedInt: UInt64 = 0x0000_0000_0000_0001
    static let seedDouble: UInt64 = 0x0000_0000_0000_0002
    static let seedBool: UInt64 = 0x0000_0000_0000_0003

    @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (hi, lo) = a.multipliedFullWidth(by: b)
        return hi ^ lo
    }

    @inline(__always)
    static func word(_ x: UInt64, seed: UInt64) -> UInt64 {
        let h = fold(fold(x ^ seed ^ k0, k6) ^ k4, k5 ^ seed)
        return h ^ (h >> 29)
    }

    @inline(__always)
    static func bytes(_ buffer: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let n = buffer.count
        let len = UInt64(truncatingIfNeeded: n)
        var state = fold(seed ^ k0, len ^ k1)
        guard n > 0, let p = buffer.baseAddress else {
            let h = fold(state ^ k4, len ^ k5)
            return h ^ (h >> 29)
        }
        var i = 0
        // Whole blocks, leaving 1...16 bytes for the tail.
        while n - i > 16 {
            let w0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let w1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
            state = fold(w0 ^ k2, w1 ^ state ^ k3)
            i += 16
        }
        let rest = n - i
        var w0: UInt64 = 0
        var w1: UInt64 = 0
        if rest > 8 {
            w0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            w1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        } else if rest == 8 {
            w0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        } else {
            var shift: UInt64 = 0
            var j = i
            while j < n {
                w0 |= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << shift
                shift &+= 8
                j += 1
            }
        }
        state = fold(w0 ^ k2, w1 ^ state ^ k3)
        let h = fold(state ^ k4, len ^ k5)
        return h ^ (h >> 29)
    }
}

extension HyperLogLog {
    /// Stable 64-bit hash of a scalar value (see `StableHash` in StableHash.swift for the
    /// construction). Equal values (under `ScalarValue ==`) hash equally; the same number as an
    /// int, a double and a string gives three different hashes. A string's hash equals
    /// `hash(bytes:)` of its UTF-8 bytes.
    @inline(__always)
    public static func hash(_ v: ScalarValue) -> UInt64 {
        switch v {
        case .int(let x): return StableHash.word(UInt64(bitPattern: x), seed: StableHash.seedInt)
        case .double(let d): return StableHash.word(normalizedDoubleBits(d), seed: StableHash.seedDouble)
        case .bool(let b): return StableHash.word(b ? 1 : 0, seed: StableHash.seedBool)
        case .string(let s): return withUTF8Buffer(s) { StableHash.bytes($0, seed: StableHash.seedBytes) }
        }
    }

    /// Stable 64-bit hash of raw bytes (equal to `hash(.string(s))` when the bytes are the
    /// UTF-8 of `s`).
    @inline(__always)
    public static func hash(bytes: UnsafeRawBufferPointer) -> UInt64 {
        StableHash.bytes(bytes, seed: StableHash.seedBytes)
    }
}
