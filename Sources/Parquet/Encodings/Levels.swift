/// Repetition / definition level decoding for data pages v1 and v2.
public enum LevelDecoder {
    /// Bits needed to store levels up to `maxLevel` (0 for `maxLevel == 0`).
    public static func bitWidth(forMaxLevel maxLevel: Int) -> Int {
        maxLevel <= 0 ? 0 : Int.bitWidth - maxLevel.leadingZeroBitCount
    }

    static func checkMaxLevel(_ maxLevel: Int) throws {
        guard maxLevel >= 0 && maxLevel <= Int(UInt16.max) else {
            throw EncodingError("max level \(maxLevel) is invalid (must be 0...65535)")
        }
    }

    /// Decodes `count` levels from the start of a v1 data page body.
    /// `encoding` is `.rle` (4-byte little-endian length prefix, then RLE/bit-packed hybrid) or the
    /// deprecated `.bitPacked` (MSB-first, `(count * bitWidth + 7) / 8` bytes, no prefix).
    /// With `maxLevel == 0` no levels are stored: all levels are 0 and nothing is consumed.
    /// - Returns: bytes consumed, including the length prefix.
    public static func decodeV1(_ page: UnsafeRawBufferPointer, encoding: Encoding, maxLevel: Int, count: Int,
                                into dst: UnsafeMutablePointer<UInt16>) throws -> Int {
        try checkMaxLevel(maxLevel)
        guard count >= 0 else { throw EncodingError("negative level count \(count)") }
        if maxLevel == 0 {
            dst.update(repeating: 0, count: count)
            return 0
        }
        let w = bitWidth(forMaxLevel: maxLevel)
        if encoding == .rle {
            guard page.count >= 4 else {
                throw EncodingError("RLE levels need a 4-byte length prefix, \(page.count) bytes remain")
            }
            let len = Int(UInt32(littleEndian: page.loadUnaligned(as: UInt32.self)))
            guard len <= page.count - 4 else {
                throw EncodingError("RLE levels length \(len) at byte 0 exceeds the \(page.count - 4) bytes after the prefix")
            }
            let body = UnsafeRawBufferPointer(rebasing: page[4..<(4 + len)])
            try decodeRLE(body, bitWidth: w, maxLevel: maxLevel, count: count, into: dst)
            return 4 + len
        } else if encoding == .bitPacked {
            return try decodeBitPackedMSB(page, bitWidth: w, maxLevel: maxLevel, count: count, into: dst)
        } else {
            throw EncodingError("unsupported level encoding \(encoding.rawValue) (expected RLE or BIT_PACKED)")
        }
    }

    /// Decodes `count` levels of a v2 data page: `levels` is exactly the RLE/bit-packed hybrid data
    /// (no length prefix; its length comes from the page header). With `maxLevel == 0` all levels are 0.
    public static func decodeV2(_ levels: UnsafeRawBufferPointer, maxLevel: Int, count: Int,
                                into dst: UnsafeMutablePointer<UInt16>) throws {
        try checkMaxLevel(maxLevel)
        guard count >= 0 else { throw EncodingError("negative level count \(count)") }
        if maxLevel == 0 {
            dst.update(repeating: 0, count: count)
            return
        }
        try decodeRLE(levels, bitWidth: bitWidth(forMaxLevel: maxLevel), maxLevel: maxLevel, count: count, into: dst)
    }

    static func decodeRLE(_ data: UnsafeRawBufferPointer, bitWidth: Int, maxLevel: Int, count: Int,
                          into dst: UnsafeMutablePointer<UInt16>) throws {
        var dec = try RLEHybridDecoder(data, bitWidth: bitWidth)
        let m = try dec.decodeReturningMax(count: count, into: dst)
        if m > UInt64(maxLevel) { try reportBadLevel(dst, count: count, maxLevel: maxLevel) }
    }

    static func reportBadLevel(_ dst: UnsafeMutablePointer<UInt16>, count: Int, maxLevel: Int) throws {
        for i in 0..<count where Int(dst[i]) > maxLevel {
            throw EncodingError("level \(dst[i]) at index \(i) exceeds max level \(maxLevel)")
        }
    }

    /// Deprecated BIT_PACKED level encoding: values packed MSB first.
    static func decodeBitPackedMSB(_ data: UnsafeRawBufferPointer, bitWidth w: Int, maxLevel: Int, count: Int,
                                   into dst: UnsafeMutablePointer<UInt16>) throws -> Int {
        let (bits, o) = count.multipliedReportingOverflow(by: w)
        let needed = o ? Int.max : (bits + 7) / 8
        guard needed <= data.count else {
            throw EncodingError("BIT_PACKED levels: \(count) levels of width \(w) need \(needed) bytes, \(data.count) remain")
        }
        guard count > 0 else { return 0 }
        let base = data.baseAddress!
        let mask: UInt32 = (1 << UInt32(w)) - 1
        var maxSeen: UInt32 = 0
        for i in 0..<count {
            let bit = i &* w
            let byte = bit &>> 3
            // Load up to 4 bytes big-endian (bounded by the needed length); w <= 16 so 24 bits suffice.
            var word: UInt32 = 0
            for k in 0..<4 {
                word <<= 8
                if byte &+ k < needed { word |= UInt32(base.load(fromByteOffset: byte &+ k, as: UInt8.self)) }
            }
            let v = (word &>> UInt32(32 &- (bit & 7) &- w)) & mask
            maxSeen = max(maxSeen, v)
            dst[i] = UInt16(truncatingIfNeeded: v)
        }
        if maxSeen > UInt32(maxLevel) { try reportBadLevel(dst, count: count, maxLevel: maxLevel) }
        return needed
    }
}

/// Repetition / definition level encoding.
public enum LevelEncoder {
    /// v1 data page levels: 4-byte little-endian length, then RLE/bit-packed hybrid.
    /// With `maxLevel == 0` nothing is written.
    public static func encodeV1(_ levels: UnsafeBufferPointer<UInt16>, maxLevel: Int) -> [UInt8] {
        if maxLevel == 0 { return [] }
        let body = encodeV2(levels, maxLevel: maxLevel)
        var out = [UInt8]()
        out.reserveCapacity(body.count + 4)
        let n = UInt32(body.count)
        out.append(contentsOf: [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
                                UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)])
        out.append(contentsOf: body)
        return out
    }

    public static func encodeV1(_ levels: [UInt16], maxLevel: Int) -> [UInt8] {
        levels.withUnsafeBufferPointer { encodeV1($0, maxLevel: maxLevel) }
    }

    /// v2 data page levels: RLE/bit-packed hybrid, no length prefix. With `maxLevel == 0` nothing is written.
    public static func encodeV2(_ levels: UnsafeBufferPointer<UInt16>, maxLevel: Int) -> [UInt8] {
        if maxLevel == 0 { return [] }
        var enc = RLEHybridEncoder(bitWidth: LevelDecoder.bitWidth(forMaxLevel: maxLevel))
        for l in levels { enc.append(UInt32(l)) }
        return enc.finish()
    }

    public static func encodeV2(_ levels: [UInt16], maxLevel: Int) -> [UInt8] {
        levels.withUnsafeBufferPointer { encodeV2($0, maxLevel: maxLevel) }
    }

    /// Deprecated BIT_PACKED level encoding (MSB first, no prefix). For tests and completeness.
    public static func encodeBitPackedV1(_ levels: [UInt16], maxLevel: Int) -> [UInt8] {
        let w = LevelDecoder.bitWidth(forMaxLevel: maxLevel)
        guard w > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: (levels.count * w + 7) / 8)
        var bit = 0
        for l in levels {
            for b in stride(from: w - 1, through: 0, by: -1) {
                if (Int(l) >> b) & 1 == 1 { out[bit >> 3] |= UInt8(0x80) >> UInt8(bit & 7) }
                bit += 1
            }
        }
        return out
    }
}
