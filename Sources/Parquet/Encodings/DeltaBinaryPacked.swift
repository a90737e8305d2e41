/// DELTA_BINARY_PACKED.
///
/// Header: ULEB128 block size (multiple of 128), ULEB128 miniblocks per block (values per miniblock a
/// multiple of 32), ULEB128 total value count, zigzag ULEB128 first value. Then blocks: zigzag ULEB128
/// min delta, one bit-width byte per miniblock, then the miniblocks (bit-packed `delta - minDelta`).
/// Miniblocks after the last value are not stored (their width bytes are ignored); the last stored
/// miniblock is normally padded to full size but may be cut short at the end of the data.
/// All arithmetic wraps, in the width of the output type.
public enum DeltaBinaryPackedDecoder {
    struct Header {
        var blockSize: Int
        var miniblocks: Int
        var valuesPerMiniblock: Int
        var totalCount: Int
        var firstValue: Int64
    }

    struct Result {
        /// Bytes consumed per the spec (no bytes for miniblocks after the last value).
        var consumed: Int
        /// Bytes consumed if the unneeded trailing miniblocks of the last block were written out
        /// (some writers pad them); nil if that would run past the data or their widths are invalid.
        var paddedConsumed: Int?
    }

    static func readHeader(_ data: UnsafeRawBufferPointer, _ pos: inout Int) throws -> Header {
        let start = pos
        let blockSize = try Varint.readULEB64(data, &pos, "DELTA_BINARY_PACKED block size")
        let miniblocks = try Varint.readULEB64(data, &pos, "DELTA_BINARY_PACKED miniblock count")
        let total = try Varint.readULEB64(data, &pos, "DELTA_BINARY_PACKED value count")
        let first = Varint.zigzagDecode(try Varint.readULEB64(data, &pos, "DELTA_BINARY_PACKED first value"))
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= UInt64(Int32.max) else {
            throw EncodingError("DELTA_BINARY_PACKED header at byte \(start): block size \(blockSize) is not a positive multiple of 128")
        }
        guard miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 32 == 0 else {
            throw EncodingError("DELTA_BINARY_PACKED header at byte \(start): \(miniblocks) miniblocks per block of \(blockSize) values do not give a multiple of 32 values per miniblock")
        }
        guard total <= UInt64(Int.max / 2) else {
            throw EncodingError("DELTA_BINARY_PACKED header at byte \(start): value count \(total) is too large")
        }
        return Header(blockSize: Int(blockSize), miniblocks: Int(miniblocks),
                      valuesPerMiniblock: Int(blockSize / miniblocks), totalCount: Int(total), firstValue: first)
    }

    /// Decodes all `header.totalCount` values of a stream (header already read, `pos` after it) into `dst`.
    static func decodeBody<T: FixedWidthInteger & SignedInteger>(_ data: UnsafeRawBufferPointer, _ header: Header, _ pos: inout Int,
                                                                  into dst: UnsafeMutablePointer<T>) throws -> Result {
        let total = header.totalCount
        guard total > 0 else { return Result(consumed: pos, paddedConsumed: pos) }
        dst[0] = T(truncatingIfNeeded: header.firstValue)
        var last = dst[0]
        var i = 1
        let vpm = header.valuesPerMiniblock
        let end = data.count
        var paddedConsumed: Int? = pos
        while i < total {
            let blockPos = pos
            let minDelta = T(truncatingIfNeeded: Varint.zigzagDecode(try Varint.readULEB64(data, &pos, "DELTA_BINARY_PACKED min delta")))
            guard end - pos >= header.miniblocks else {
                throw EncodingError("DELTA_BINARY_PACKED block at byte \(blockPos): \(header.miniblocks) miniblock bit widths need \(header.miniblocks) bytes, \(end - pos) remain (decoded \(i) of \(total) values)")
            }
            let widthsPos = pos
            pos += header.miniblocks
            var m = 0
            while m < header.miniblocks && i < total {
                let w = Int(data[widthsPos + m])
                guard w <= 64 else {
                    throw EncodingError("DELTA_BINARY_PACKED block at byte \(blockPos): miniblock \(m) bit width \(w) is invalid (max 64)")
                }
                let n = min(vpm, total - i)
                let fullBytes = vpm * w / 8
                let avail = end - pos
                let needed = (n * w + 7) / 8
                guard avail >= needed else {
                    throw EncodingError("DELTA_BINARY_PACKED miniblock \(m) at byte \(pos) needs \(needed) bytes for \(n) values of width \(w), \(avail) remain (decoded \(i) of \(total) values)")
                }
                let out = dst + i
                if w > 0 {
                    let src = data.baseAddress! + pos
                    if w <= 32 {
                        BitPacking.unpackRange32(src, readable: avail, bitWidth: w, start: 0, count: n, into: out)
                    } else {
                        BitPacking.unpackRange64(src, readable: avail, bitWidth: w, start: 0, count: n, into: out)
                    }
                    for k in 0..<n {
                        last = last &+ minDelta &+ out[k]
                        out[k] = last
                    }
                } else {
                    for k in 0..<n {
                        last = last &+ minDelta
                        out[k] = last
                    }
                }
                pos += min(fullBytes, avail)
                i += n
                m += 1
            }
            if i >= total {
                // Padded variant: the remaining miniblocks of this block written out with their widths.
                var padded = pos
                while m < header.miniblocks {
                    let w = Int(data[widthsPos + m])
                    if w > 64 { padded = Int.max; break }
                    padded += vpm * w / 8
                    if padded > end { break }
                    m += 1
                }
                paddedConsumed = padded <= end ? padded : nil
            }
        }
        if total == 1 { paddedConsumed = pos }
        return Result(consumed: pos, paddedConsumed: paddedConsumed)
    }

    static func decodeArray<T: FixedWidthInteger & SignedInteger>(_ data: UnsafeRawBufferPointer, maxCount: Int) throws -> (values: [T], result: Result) {
        var pos = 0
        let header = try readHeader(data, &pos)
        guard header.totalCount <= maxCount else {
            throw EncodingError("DELTA_BINARY_PACKED header says \(header.totalCount) values, more than the \(maxCount) expected")
        }
        var result = Result(consumed: 0, paddedConsumed: nil)
        let values = try [T](unsafeUninitializedCapacity: header.totalCount) { buf, n in
            if header.totalCount > 0 {
                result = try decodeBody(data, header, &pos, into: buf.baseAddress!)
            } else {
                result = Result(consumed: pos, paddedConsumed: pos)
            }
            n = header.totalCount
        }
        return (values, result)
    }

    /// Decodes a stream holding at most `maxCount` values (the header's count is checked before allocating).
    public static func decodeInt32(_ data: UnsafeRawBufferPointer, maxCount: Int) throws -> (values: [Int32], bytesConsumed: Int) {
        let (v, r) = try decodeArray(data, maxCount: maxCount) as ([Int32], Result)
        return (v, r.consumed)
    }

    public static func decodeInt64(_ data: UnsafeRawBufferPointer, maxCount: Int) throws -> (values: [Int64], bytesConsumed: Int) {
        let (v, r) = try decodeArray(data, maxCount: maxCount) as ([Int64], Result)
        return (v, r.consumed)
    }

    /// Decodes a stream that must hold exactly `count` values into `dst`. Empty data is accepted for `count == 0`.
    /// - Returns: bytes consumed.
    @discardableResult
    public static func decode<T: FixedWidthInteger & SignedInteger>(_ data: UnsafeRawBufferPointer, count: Int,
                                                                   into dst: UnsafeMutablePointer<T>) throws -> Int {
        try decodeExact(data, count: count, into: dst).consumed
    }

    static func decodeExact<T: FixedWidthInteger & SignedInteger>(_ data: UnsafeRawBufferPointer, count: Int,
                                                                 into dst: UnsafeMutablePointer<T>) throws -> Result {
        if count == 0 && data.isEmpty { return Result(consumed: 0, paddedConsumed: 0) }
        var pos = 0
        let header = try readHeader(data, &pos)
        guard header.totalCount == count else {
            throw EncodingError("DELTA_BINARY_PACKED header says \(header.totalCount) values, expected \(count)")
        }
        return try decodeBody(data, header, &pos, into: dst)
    }

    static func decodeExactArray<T: FixedWidthInteger & SignedInteger>(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [T], result: Result) {
        guard count >= 0 else { throw EncodingError("negative value count \(count)") }
        var result = Result(consumed: 0, paddedConsumed: nil)
        let values = try [T](unsafeUninitializedCapacity: count) { buf, n in
            if count > 0 {
                result = try decodeExact(data, count: count, into: buf.baseAddress!)
            } else {
                var dummy: T = 0
                result = try decodeExact(data, count: 0, into: &dummy)
            }
            n = count
        }
        return (values, result)
    }

    /// Decodes a stream that must hold exactly `count` values.
    public static func decodeInt32(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int32], bytesConsumed: Int) {
        let (v, r) = try decodeExactArray(data, count: count) as ([Int32], Result)
        return (v, r.consumed)
    }

    public static func decodeInt64(_ data: UnsafeRawBufferPointer, count: Int) throws -> (values: [Int64], bytesConsumed: Int) {
        let (v, r) = try decodeExactArray(data, count: count) as ([Int64], Result)
        return (v, r.consumed)
    }
}

/// DELTA_BINARY_PACKED encoder: blocks of 128 values, 4 miniblocks of 32.
public enum DeltaBinaryPackedEncoder {
    static let blockSize = 128
    static let miniblocks = 4
    static let miniblockSize = 32

    public static func encode(_ values: [Int32]) -> [UInt8] {
        var out = [UInt8]()
        values.withUnsafeBufferPointer { encode($0, into: &out) }
        return out
    }

    public static func encode(_ values: [Int64]) -> [UInt8] {
        var out = [UInt8]()
        values.withUnsafeBufferPointer { encode($0, into: &out) }
        return out
    }

    /// Appends the encoding of `values` to `out`. Deltas wrap in `T`'s width.
    public static func encode<T: FixedWidthInteger & SignedInteger>(_ values: UnsafeBufferPointer<T>, into out: inout [UInt8]) {
        Varint.appendULEB(UInt64(blockSize), to: &out)
        Varint.appendULEB(UInt64(miniblocks), to: &out)
        Varint.appendULEB(UInt64(values.count), to: &out)
        guard let first = values.first else {
            Varint.appendULEB(0, to: &out)
            return
        }
        Varint.appendULEB(Varint.zigzagEncode(Int64(first)), to: &out)
        let magMask: UInt64 = T.bitWidth >= 64 ? ~0 : (1 << UInt64(T.bitWidth)) - 1
        var rel = [UInt64](repeating: 0, count: blockSize)
        var deltas = [T](repeating: 0, count: blockSize)
        var widths = [Int](repeating: 0, count: miniblocks)
        var i = 1
        var prev = first
        while i < values.count {
            let n = min(blockSize, values.count - i)
            var minDelta = T.max
            for k in 0..<n {
                let v = values[i + k]
                let d = v &- prev
                prev = v
                deltas[k] = d
                if d < minDelta { minDelta = d }
            }
            for k in 0..<blockSize {
                rel[k] = k < n ? UInt64(truncatingIfNeeded: deltas[k] &- minDelta) & magMask : 0
            }
            Varint.appendULEB(Varint.zigzagEncode(Int64(minDelta)), to: &out)
            let used = (n + miniblockSize - 1) / miniblockSize
            for m in 0..<miniblocks { widths[m] = 0 }
            for m in 0..<used {
                var mx: UInt64 = 0
                for k in (m * miniblockSize)..<((m + 1) * miniblockSize) { mx |= rel[k] }
                widths[m] = Varint.bitWidth(mx)
            }
            for w in widths { out.append(UInt8(w)) }
            rel.withUnsafeBufferPointer { r in
                for m in 0..<used {
                    BitPacking.pack(r.baseAddress! + m * miniblockSize, count: miniblockSize, bitWidth: widths[m], into: &out)
                }
            }
            i += n
        }
    }
}
