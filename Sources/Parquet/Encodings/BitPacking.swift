/// LSB-first bit unpacking/packing as used by the RLE/bit-packed hybrid and DELTA_BINARY_PACKED.
///
/// Values are packed from the least significant bit of the first byte; 8 values of width `w`
/// occupy exactly `w` bytes (one "group"). The hot loops process one group at a time with
/// unaligned little-endian 64-bit loads and constant shifts (the width is a compile-time
/// constant in each specialised branch of the dispatch switch).
public enum BitPacking {
    /// Bytes of slack the fast group kernels may read past the end of a group.
    @usableFromInline static let slack = 16

    // MARK: Public checked entry points

    /// Unpacks `count` values of `bitWidth` (0...32) bits from `src` into `dst`.
    /// Throws if the width is invalid or `src` holds fewer than `(count * bitWidth + 7) / 8` bytes.
    public static func unpack32(_ src: UnsafeRawBufferPointer, bitWidth: Int, count: Int,
                                into dst: UnsafeMutablePointer<UInt32>) throws {
        guard bitWidth >= 0 && bitWidth <= 32 else {
            throw EncodingError("bit width \(bitWidth) is invalid (max 32)")
        }
        guard count >= 0 else { throw EncodingError("negative value count \(count)") }
        let (bits, o) = count.multipliedReportingOverflow(by: bitWidth)
        let needed = (bits + 7) / 8
        guard !o, needed <= src.count else {
            throw EncodingError("\(count) bit-packed values of width \(bitWidth) need \(o ? Int.max : needed) bytes, \(src.count) available")
        }
        guard count > 0 else { return }
        unpackRange32(src.baseAddress!, readable: src.count, bitWidth: bitWidth, start: 0, count: count, into: dst)
    }

    /// Unpacks `count` values of `bitWidth` (0...64) bits from `src` into `dst`.
    public static func unpack64(_ src: UnsafeRawBufferPointer, bitWidth: Int, count: Int,
                                into dst: UnsafeMutablePointer<UInt64>) throws {
        guard bitWidth >= 0 && bitWidth <= 64 else {
            throw EncodingError("bit width \(bitWidth) is invalid (max 64)")
        }
        guard count >= 0 else { throw EncodingError("negative value count \(count)") }
        let (bits, o) = count.multipliedReportingOverflow(by: bitWidth)
        let needed = (bits + 7) / 8
        guard !o, needed <= src.count else {
            throw EncodingError("\(count) bit-packed values of width \(bitWidth) need \(o ? Int.max : needed) bytes, \(src.count) available")
        }
        guard count > 0 else { return }
        unpackRange64(src.baseAddress!, readable: src.count, bitWidth: bitWidth, start: 0, count: count, into: dst)
    }

    // MARK: Group kernels

    /// Unpacks one group of 8 values of width `w` (0...32). Reads up to `w + 8` bytes from `p`.
    @inline(__always)
    static func unpack8x32<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _ w: Int, _ d: UnsafeMutablePointer<T>) {
        let mask: UInt64 = (1 &<< UInt64(w)) &- 1
        for j in 0..<8 {
            let bit = j &* w
            let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
            d[j] = T(truncatingIfNeeded: (word &>> UInt64(bit & 7)) & mask)
        }
    }

    /// Unpacks one group of 8 values of width `w` (0...64). Reads up to `w + 9` bytes from `p`.
    @inline(__always)
    static func unpack8x64<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _ w: Int, _ d: UnsafeMutablePointer<T>) {
        let mask: UInt64 = w >= 64 ? ~0 : (1 &<< UInt64(w)) &- 1
        for j in 0..<8 {
            let bit = j &* w
            let byte = bit &>> 3
            let s = UInt64(bit & 7)
            var v = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> s
            if w > 56 && s != 0 {
                v |= UInt64(p.load(fromByteOffset: byte &+ 8, as: UInt8.self)) &<< (64 &- s)
            }
            d[j] = T(truncatingIfNeeded: v & mask)
        }
    }

    /// Unpacks one group whose bytes may be truncated: copies the `readable` (clamped to 0...w) bytes into
    /// a zero-padded local buffer first. Missing bits read as zero.
    @inline(never)
    static func unpackGroupSafe<T: FixedWidthInteger>(_ p: UnsafeRawPointer, readable: Int, _ w: Int, _ d: UnsafeMutablePointer<T>) {
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buf) { b in
            let n = max(0, min(w, readable))
            if n > 0 { b.baseAddress!.copyMemory(from: p, byteCount: n) }
            if w <= 32 {
                unpack8x32(UnsafeRawPointer(b.baseAddress!), w, d)
            } else {
                unpack8x64(UnsafeRawPointer(b.baseAddress!), w, d)
            }
        }
    }

    @inline(__always)
    static func unpackGroupsFast32<T: FixedWidthInteger>(_ src: UnsafeRawPointer, _ readable: Int, _ w: Int, _ groups: Int, _ dst: UnsafeMutablePointer<T>) {
        let fast = min(groups, max(0, (readable - slack) / w))
        var g = 0
        while g < fast {
            unpack8x32(src + g &* w, w, dst + g &* 8)
            g &+= 1
        }
        while g < groups {
            unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, dst + g &* 8)
            g &+= 1
        }
    }

    @inline(__always)
    static func unpackGroupsFast64<T: FixedWidthInteger>(_ src: UnsafeRawPointer, _ readable: Int, _ w: Int, _ groups: Int, _ dst: UnsafeMutablePointer<T>) {
        let fast = min(groups, max(0, (readable - slack) / w))
        var g = 0
        while g < fast {
            unpack8x64(src + g &* w, w, dst + g &* 8)
            g &+= 1
        }
        while g < groups {
            unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, dst + g &* 8)
            g &+= 1
        }
    }

    /// Unpacks `groups` whole groups of width `bitWidth` (0...32) from `src` (of which `readable` bytes
    /// may be read) into `dst`. Bytes beyond `readable` read as zero.
    static func unpackGroups32<T: FixedWidthInteger>(_ src: UnsafeRawPointer, readable: Int, bitWidth: Int, groups: Int, into dst: UnsafeMutablePointer<T>) {
        switch bitWidth {
        case 0: dst.update(repeating: 0, count: groups &* 8)
        case 1: unpackGroupsFast32(src, readable, 1, groups, dst)
        case 2: unpackGroupsFast32(src, readable, 2, groups, dst)
        case 3: unpackGroupsFast32(src, readable, 3, groups, dst)
        case 4: unpackGroupsFast32(src, readable, 4, groups, dst)
        case 5: unpackGroupsFast32(src, readable, 5, groups, dst)
        case 6: unpackGroupsFast32(src, readable, 6, groups, dst)
        case 7: unpackGroupsFast32(src, readable, 7, groups, dst)
        case 8: unpackGroupsFast32(src, readable, 8, groups, dst)
        case 9: unpackGroupsFast32(src, readable, 9, groups, dst)
        case 10: unpackGroupsFast32(src, readable, 10, groups, dst)
        case 11: unpackGroupsFast32(src, readable, 11, groups, dst)
        case 12: unpackGroupsFast32(src, readable, 12, groups, dst)
        case 13: unpackGroupsFast32(src, readable, 13, groups, dst)
        case 14: unpackGroupsFast32(src, readable, 14, groups, dst)
        case 15: unpackGroupsFast32(src, readable, 15, groups, dst)
        case 16: unpackGroupsFast32(src, readable, 16, groups, dst)
        case 17: unpackGroupsFast32(src, readable, 17, groups, dst)
        case 18: unpackGroupsFast32(src, readable, 18, groups, dst)
        case 19: unpackGroupsFast32(src, readable, 19, groups, dst)
        case 20: unpackGroupsFast32(src, readable, 20, groups, dst)
        case 21: unpackGroupsFast32(src, readable, 21, groups, dst)
        case 22: unpackGroupsFast32(src, readable, 22, groups, dst)
        case 23: unpackGroupsFast32(src, readable, 23, groups, dst)
        case 24: unpackGroupsFast32(src, readable, 24, groups, dst)
        case 25: unpackGroupsFast32(src, readable, 25, groups, dst)
        case 26: unpackGroupsFast32(src, readable, 26, groups, dst)
        case 27: unpackGroupsFast32(src, readable, 27, groups, dst)
        case 28: unpackGroupsFast32(src, readable, 28, groups, dst)
        case 29: unpackGroupsFast32(src, readable, 29, groups, dst)
        case 30: unpackGroupsFast32(src, readable, 30, groups, dst)
        case 31: unpackGroupsFast32(src, readable, 31, groups, dst)
        case 32: unpackGroupsFast32(src, readable, 32, groups, dst)
        default: preconditionFailure("bit width \(bitWidth) out of range")
        }
    }

    /// Unpacks `groups` whole groups of width `bitWidth` (0...64).
    static func unpackGroups64<T: FixedWidthInteger>(_ src: UnsafeRawPointer, readable: Int, bitWidth: Int, groups: Int, into dst: UnsafeMutablePointer<T>) {
        switch bitWidth {
        case 0: dst.update(repeating: 0, count: groups &* 8)
        case 1: unpackGroupsFast64(src, readable, 1, groups, dst)
        case 2: unpackGroupsFast64(src, readable, 2, groups, dst)
        case 3: unpackGroupsFast64(src, readable, 3, groups, dst)
        case 4: unpackGroupsFast64(src, readable, 4, groups, dst)
        case 5: unpackGroupsFast64(src, readable, 5, groups, dst)
        case 6: unpackGroupsFast64(src, readable, 6, groups, dst)
        case 7: unpackGroupsFast64(src, readable, 7, groups, dst)
        case 8: unpackGroupsFast64(src, readable, 8, groups, dst)
        case 9: unpackGroupsFast64(src, readable, 9, groups, dst)
        case 10: unpackGroupsFast64(src, readable, 10, groups, dst)
        case 11: unpackGroupsFast64(src, readable, 11, groups, dst)
        case 12: unpackGroupsFast64(src, readable, 12, groups, dst)
        case 13: unpackGroupsFast64(src, readable, 13, groups, dst)
        case 14: unpackGroupsFast64(src, readable, 14, groups, dst)
        case 15: unpackGroupsFast64(src, readable, 15, groups, dst)
        case 16: unpackGroupsFast64(src, readable, 16, groups, dst)
        case 17: unpackGroupsFast64(src, readable, 17, groups, dst)
        case 18: unpackGroupsFast64(src, readable, 18, groups, dst)
        case 19: unpackGroupsFast64(src, readable, 19, groups, dst)
        case 20: unpackGroupsFast64(src, readable, 20, groups, dst)
        case 21: unpackGroupsFast64(src, readable, 21, groups, dst)
        case 22: unpackGroupsFast64(src, readable, 22, groups, dst)
        case 23: unpackGroupsFast64(src, readable, 23, groups, dst)
        case 24: unpackGroupsFast64(src, readable, 24, groups, dst)
        case 25: unpackGroupsFast64(src, readable, 25, groups, dst)
        case 26: unpackGroupsFast64(src, readable, 26, groups, dst)
        case 27: unpackGroupsFast64(src, readable, 27, groups, dst)
        case 28: unpackGroupsFast64(src, readable, 28, groups, dst)
        case 29: unpackGroupsFast64(src, readable, 29, groups, dst)
        case 30: unpackGroupsFast64(src, readable, 30, groups, dst)
        case 31: unpackGroupsFast64(src, readable, 31, groups, dst)
        case 32: unpackGroupsFast64(src, readable, 32, groups, dst)
        case 33: unpackGroupsFast64(src, readable, 33, groups, dst)
        case 34: unpackGroupsFast64(src, readable, 34, groups, dst)
        case 35: unpackGroupsFast64(src, readable, 35, groups, dst)
        case 36: unpackGroupsFast64(src, readable, 36, groups, dst)
        case 37: unpackGroupsFast64(src, readable, 37, groups, dst)
        case 38: unpackGroupsFast64(src, readable, 38, groups, dst)
        case 39: unpackGroupsFast64(src, readable, 39, groups, dst)
        case 40: unpackGroupsFast64(src, readable, 40, groups, dst)
        case 41: unpackGroupsFast64(src, readable, 41, groups, dst)
        case 42: unpackGroupsFast64(src, readable, 42, groups, dst)
        case 43: unpackGroupsFast64(src, readable, 43, groups, dst)
        case 44: unpackGroupsFast64(src, readable, 44, groups, dst)
        case 45: unpackGroupsFast64(src, readable, 45, groups, dst)
        case 46: unpackGroupsFast64(src, readable, 46, groups, dst)
        case 47: unpackGroupsFast64(src, readable, 47, groups, dst)
        case 48: unpackGroupsFast64(src, readable, 48, groups, dst)
        case 49: unpackGroupsFast64(src, readable, 49, groups, dst)
        case 50: unpackGroupsFast64(src, readable, 50, groups, dst)
        case 51: unpackGroupsFast64(src, readable, 51, groups, dst)
        case 52: unpackGroupsFast64(src, readable, 52, groups, dst)
        case 53: unpackGroupsFast64(src, readable, 53, groups, dst)
        case 54: unpackGroupsFast64(src, readable, 54, groups, dst)
        case 55: unpackGroupsFast64(src, readable, 55, groups, dst)
        case 56: unpackGroupsFast64(src, readable, 56, groups, dst)
        case 57: unpackGroupsFast64(src, readable, 57, groups, dst)
        case 58: unpackGroupsFast64(src, readable, 58, groups, dst)
        case 59: unpackGroupsFast64(src, readable, 59, groups, dst)
        case 60: unpackGroupsFast64(src, readable, 60, groups, dst)
        case 61: unpackGroupsFast64(src, readable, 61, groups, dst)
        case 62: unpackGroupsFast64(src, readable, 62, groups, dst)
        case 63: unpackGroupsFast64(src, readable, 63, groups, dst)
        case 64: unpackGroupsFast64(src, readable, 64, groups, dst)
        default: preconditionFailure("bit width \(bitWidth) out of range")
        }
    }

    /// Unpacks values `start ..< start + count` of a bit-packed sequence (width 0...32) starting at `src`.
    /// `readable` bounds the bytes read from `src`; bits past it read as zero (callers check lengths).
    static func unpackRange32<T: FixedWidthInteger>(_ src: UnsafeRawPointer, readable: Int, bitWidth w: Int, start: Int, count: Int, into dst: UnsafeMutablePointer<T>) {
        var i = start
        var n = count
        var out = dst
        var tmp: (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
        if i & 7 != 0 && n > 0 {
            let g = i &>> 3
            let k = min(n, 8 - (i & 7))
            withUnsafeMutableBytes(of: &tmp) { t in
                let tp = t.baseAddress!.assumingMemoryBound(to: T.self)
                unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, tp)
                out.update(from: tp + (i & 7), count: k)
            }
            i &+= k; n &-= k; out += k
        }
        let full = n &>> 3
        if full > 0 {
            let off = (i &>> 3) &* w
            unpackGroups32(src + off, readable: readable - off, bitWidth: w, groups: full, into: out)
            i &+= full &* 8; n &-= full &* 8; out += full &* 8
        }
        if n > 0 {
            let g = i &>> 3
            withUnsafeMutableBytes(of: &tmp) { t in
                let tp = t.baseAddress!.assumingMemoryBound(to: T.self)
                unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, tp)
                out.update(from: tp, count: n)
            }
        }
    }

    /// Unpacks values `start ..< start + count` of a bit-packed sequence of width 0...64.
    static func unpackRange64<T: FixedWidthInteger>(_ src: UnsafeRawPointer, readable: Int, bitWidth w: Int, start: Int, count: Int, into dst: UnsafeMutablePointer<T>) {
        var i = start
        var n = count
        var out = dst
        var tmp: (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
        if i & 7 != 0 && n > 0 {
            let g = i &>> 3
            let k = min(n, 8 - (i & 7))
            withUnsafeMutableBytes(of: &tmp) { t in
                let tp = t.baseAddress!.assumingMemoryBound(to: T.self)
                unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, tp)
                out.update(from: tp + (i & 7), count: k)
            }
            i &+= k; n &-= k; out += k
        }
        let full = n &>> 3
        if full > 0 {
            let off = (i &>> 3) &* w
            unpackGroups64(src + off, readable: readable - off, bitWidth: w, groups: full, into: out)
            i &+= full &* 8; n &-= full &* 8; out += full &* 8
        }
        if n > 0 {
            let g = i &>> 3
            withUnsafeMutableBytes(of: &tmp) { t in
                let tp = t.baseAddress!.assumingMemoryBound(to: T.self)
                unpackGroupSafe(src + g &* w, readable: readable - g &* w, w, tp)
                out.update(from: tp, count: n)
            }
        }
    }

    // MARK: Packing (encoders)

    /// Appends `count` values (width 0...64, LSB first) to `out`, padding the final byte with zero bits.
    /// Values are masked to `bitWidth` bits.
    static func pack<T: FixedWidthInteger>(_ values: UnsafePointer<T>, count: Int, bitWidth w: Int, into out: inout [UInt8]) {
        guard w > 0, count > 0 else { return }
        let mask: UInt64 = w >= 64 ? ~0 : (1 &<< UInt64(w)) &- 1
        let byteCount = (count &* w &+ 7) / 8
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: byteCount))
        out.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress! + start
            var acc: UInt64 = 0
            var bits = 0
            var o = 0
            for i in 0..<count {
                let v = UInt64(truncatingIfNeeded: values[i]) & mask
                acc |= v &<< UInt64(bits)
                var total = bits &+ w
                if total >= 64 {
                    UnsafeMutableRawPointer(base + o).storeBytes(of: acc.littleEndian, as: UInt64.self)
                    o &+= 8
                    acc = bits == 0 ? 0 : v &>> UInt64(64 &- bits)
                    total &-= 64
                }
                while total >= 8 {
                    base[o] = UInt8(truncatingIfNeeded: acc)
                    o &+= 1
                    acc &>>= 8
                    total &-= 8
                }
                bits = total
            }
            if bits > 0 {
                base[o] = UInt8(truncatingIfNeeded: acc)
            }
        }
    }
}
