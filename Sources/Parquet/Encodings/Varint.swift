/// Little helpers shared by the encodings: ULEB128 varints and zigzag.
@usableFromInline
enum Varint {
    /// Reads an unsigned LEB128 varint of at most 10 bytes starting at `pos`, advancing `pos`.
    /// `what` names the field for error messages.
    @inline(__always)
    static func readULEB64(_ data: UnsafeRawBufferPointer, _ pos: inout Int, _ what: StaticString) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = pos
        var p = pos
        let end = data.count
        while true {
            guard p < end else {
                throw EncodingError("\(what) varint at byte \(start) is truncated: data ends at byte \(end)")
            }
            let byte = data[p]
            p += 1
            if shift == 63 && byte > 1 {
                throw EncodingError("\(what) varint at byte \(start) overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 {
                throw EncodingError("\(what) varint at byte \(start) is longer than 10 bytes")
            }
        }
        pos = p
        return result
    }

    /// Reads an unsigned LEB128 varint that must fit in 32 bits (at most 5 bytes).
    @inline(__always)
    static func readULEB32(_ data: UnsafeRawBufferPointer, _ pos: inout Int, _ what: StaticString) throws -> UInt32 {
        let start = pos
        let end = data.count
        var p = pos
        // Fast path: one byte.
        if p < end {
            let b = data[p]
            if b & 0x80 == 0 {
                pos = p + 1
                return UInt32(b)
            }
        }
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard p < end else {
                throw EncodingError("\(what) varint at byte \(start) is truncated: data ends at byte \(end)")
            }
            let byte = data[p]
            p += 1
            if shift == 28 && byte > 0x0F {
                throw EncodingError("\(what) varint at byte \(start) overflows 32 bits")
            }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        pos = p
        return result
    }

    @inline(__always)
    static func zigzagDecode(_ u: UInt64) -> Int64 {
        Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inline(__always)
    static func zigzagEncode(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inline(__always)
    static func appendULEB(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    /// Number of bits needed to represent `v` (0 for 0).
    @inline(__always)
    static func bitWidth(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }
}
