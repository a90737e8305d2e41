// Snappy raw block format, implemented from the format description
// (format_description.txt in the Snappy project):
//
//   stream  = varint32(uncompressed length) element*
//   element = literal | copy
//   tag byte, low two bits:
//     00 literal: length-1 in the upper 6 bits if < 60; 60...63 mean the
//        length-1 follows in 1...4 little-endian bytes; then the literal bytes
//     01 copy, 1-byte offset: length-4 in bits 2...4, offset bits 8...10 in
//        bits 5...7, offset bits 0...7 in the next byte (length 4...11)
//     10 copy, 2-byte offset: length-1 in the upper 6 bits, offset LE16
//     11 copy, 4-byte offset: length-1 in the upper 6 bits, offset LE32
//   A copy repeats `length` bytes starting `offset` bytes back in the output;
//   offset may be smaller than length (the copied bytes then repeat).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum Snappy {
    // MARK: Decompression

    /// Decodes a raw Snappy block into `output`, whose size must equal the
    /// length declared in the stream header. Every offset and length is
    /// validated (the unchecked fast loop only runs far enough from the ends of
    /// both buffers that no element can cross them), so corrupt input throws
    /// and never reads or writes out of bounds.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let inBase = input.baseAddress, input.count > 0 else {
            throw CompressionError("SNAPPY: empty input, but \(output.count) bytes were expected")
        }
        let ipEnd = inBase + input.count
        var ip = inBase
        var declared: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard ip < ipEnd else { throw CompressionError("SNAPPY: truncated length header") }
            let b = ip.load(as: UInt8.self)
            ip += 1
            declared |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            guard shift < 35 else { throw CompressionError("SNAPPY: invalid length header (varint too long)") }
        }
        guard declared <= UInt64(UInt32.max) else {
            throw CompressionError("SNAPPY: invalid length header (\(declared) does not fit in 32 bits)")
        }
        guard declared == UInt64(output.count) else {
            throw CompressionError(
                "SNAPPY: the stream declares \(declared) uncompressed bytes, but \(output.count) bytes were expected")
        }
        guard let outBase = output.baseAddress, output.count > 0 else {
            guard ip == ipEnd else {
                throw CompressionError("SNAPPY: data after the end of an empty stream")
            }
            return 0
        }
        return try copyTagTable.withUnsafeBufferPointer { table in
            try decodeElements(ip, ipEnd, outBase, output.count, table.baseAddress!)
        }
    }

    /// For each tag byte of a copy element: bits 0...7 the copy length,
    /// bits 8...10 the high offset bits held in the tag (copy-1 only),
    /// bits 11...13 the number of offset bytes after the tag.
    private static let copyTagTable: [UInt16] = (0..<256).map { (tag: Int) -> UInt16 in
        let offsetBytes: Int
        let length: Int
        var highOffset = 0
        switch tag & 3 {
        case 0: return 0  // literal tags are handled separately
        case 1:
            offsetBytes = 1
            length = 4 + ((tag >> 2) & 7)
            highOffset = (tag >> 5) << 8
        case 2:
            offsetBytes = 2
            length = 1 + (tag >> 2)
        default:
            offsetBytes = 4
            length = 1 + (tag >> 2)
        }
        return UInt16(offsetBytes << 11 | highOffset | length)
    }

    @inline(never)
    private static func corrupt(_ what: String, produced: Int, expected: Int) -> CompressionError {
        CompressionError("SNAPPY data is corrupt: \(what) (after producing \(produced) of \(expected) bytes)")
    }

    /// The element loop. `ip..<ipEnd` is the input after the length header,
    /// `opBase` has room for exactly `count` bytes.
    private static func decodeElements(
        _ start: UnsafeRawPointer, _ ipEnd: UnsafeRawPointer, _ opBase: UnsafeMutableRawPointer, _ count: Int,
        _ table: UnsafePointer<UInt16>
    ) throws -> Int {
        var ip = start
        var op = opBase
        let opEnd = opBase + count
        // The fast loop reads at most 1 + 64 input bytes and writes at most
        // 64 + 7 output bytes per element without checking, so it only runs
        // while both pointers are this far from the end of their buffers.
        let ipFastLimit = start + max(0, (ipEnd - start) - 72)
        let opFastLimit = opBase + max(0, count - 80)

        while ip < ipEnd {
            // Fast loop: short literals and all copies, no buffer-end checks.
            // Anything unusual (long literals, bad offsets) breaks out to the
            // careful code below, which handles one element and comes back.
            while ip < ipFastLimit && op < opFastLimit {
                let tag = UInt32(ip.load(as: UInt8.self))
                if tag & 3 == 0 {
                    guard tag < 60 << 2 else { break }
                    let length = Int(tag &>> 2) &+ 1
                    copy16(from: ip + 1, to: op)
                    copy16(from: ip + 17, to: op + 16)
                    if length > 32 {
                        copy16(from: ip + 33, to: op + 32)
                        copy16(from: ip + 49, to: op + 48)
                    }
                    ip += 1 &+ length
                    op += length
                    continue
                }
                let entry = Int(table[Int(tag)])
                let extra = entry &>> 11
                let length = entry & 0xFF
                let mask = UInt32(truncatingIfNeeded: (UInt64(1) &<< UInt64(8 &* extra)) &- 1)
                let offset =
                    entry & 0x700
                    | Int(UInt32(littleEndian: ip.loadUnaligned(fromByteOffset: 1, as: UInt32.self)) & mask)
                guard UInt(bitPattern: offset &- 1) < UInt(bitPattern: op - opBase) else { break }
                ip += 1 &+ extra
                var src = op - offset
                if offset >= 8 {
                    op.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    op.storeBytes(
                        of: src.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
                    if length > 16 {
                        var d = op + 16
                        src += 16
                        let stop = op + length
                        while d < stop {
                            d.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                            src += 8
                            d += 8
                        }
                    }
                } else {
                    var d = op
                    let stop = op + length
                    repeat {
                        d.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                        d += d - src
                    } while d - src < 8 && d < stop
                    while d < stop {
                        d.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                        src += 8
                        d += 8
                    }
                }
                op += length
            }
            guard ip < ipEnd else { break }

            // Careful path: one element, every length and offset checked.
            let tag = UInt32(ip.load(as: UInt8.self))
            if tag & 3 == 0 {
                // Literal.
                var length = Int(tag >> 2) &+ 1
                ip += 1
                if length > 60 {
                    let extra = length &- 60  // 1...4 length bytes
                    guard ipEnd - ip >= extra else {
                        throw corrupt("truncated literal length", produced: op - opBase, expected: count)
                    }
                    let v: UInt32
                    switch extra {
                    case 1: v = UInt32(ip.load(as: UInt8.self))
                    case 2: v = UInt32(UInt16(littleEndian: ip.loadUnaligned(as: UInt16.self)))
                    case 3:
                        v = UInt32(UInt16(littleEndian: ip.loadUnaligned(as: UInt16.self)))
                            | UInt32(ip.load(fromByteOffset: 2, as: UInt8.self)) << 16
                    default: v = UInt32(littleEndian: ip.loadUnaligned(as: UInt32.self))
                    }
                    length = Int(v) &+ 1
                    ip += extra
                }
                let inLeft = ipEnd - ip
                let outLeft = opEnd - op
                if length <= 64 && inLeft >= 64 && outLeft >= 64 {
                    // Short literal with room to spare: 16-byte moves that may
                    // overshoot (the extra bytes are overwritten later); this
                    // beats a memcpy call and has few unpredictable branches.
                    copy16(from: ip, to: op)
                    copy16(from: ip + 16, to: op + 16)
                    if length > 32 {
                        copy16(from: ip + 32, to: op + 32)
                        copy16(from: ip + 48, to: op + 48)
                    }
                } else {
                    guard length <= inLeft else {
                        throw corrupt(
                            "literal of \(length) bytes runs past the end of the input",
                            produced: op - opBase, expected: count)
                    }
                    guard length <= outLeft else {
                        throw corrupt(
                            "literal of \(length) bytes runs past the expected output size",
                            produced: op - opBase, expected: count)
                    }
                    memcpy(op, ip, length)
                }
                ip += length
                op += length
                continue
            }

            // Copy: decoded through a table rather than a switch on the kind,
            // which avoids a hard-to-predict branch per element.
            let entry = Int(table[Int(tag)])
            let extra = entry &>> 11  // offset bytes: 1, 2 or 4
            let length = entry & 0xFF
            var offset = entry & 0x700
            if ipEnd - ip >= 5 {
                let mask = UInt32(truncatingIfNeeded: (UInt64(1) &<< UInt64(8 &* extra)) &- 1)
                offset |= Int(UInt32(littleEndian: ip.loadUnaligned(fromByteOffset: 1, as: UInt32.self)) & mask)
            } else {
                guard ipEnd - ip > extra else {
                    throw corrupt("truncated copy element", produced: op - opBase, expected: count)
                }
                for k in 0..<extra {
                    offset |= Int(ip.load(fromByteOffset: 1 &+ k, as: UInt8.self)) &<< (8 &* k)
                }
            }
            ip += 1 &+ extra
            // offset must be in 1...(bytes produced so far); one unsigned compare.
            guard UInt(bitPattern: offset &- 1) < UInt(bitPattern: op - opBase) else {
                throw corrupt(
                    "copy offset \(offset) points before the start of the output",
                    produced: op - opBase, expected: count)
            }
            let outLeft = opEnd - op
            guard length <= outLeft else {
                throw corrupt(
                    "copy of \(length) bytes runs past the expected output size",
                    produced: op - opBase, expected: count)
            }
            var src = op - offset
            if length <= 16 && offset >= 8 && outLeft >= 16 {
                // The most common copy: two 8-byte moves. With 8 <= offset < 16
                // the second load reads bytes the first store just wrote, which
                // is what an overlapping copy needs.
                op.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                op.storeBytes(
                    of: src.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
            } else if outLeft >= length &+ 8 {
                // Fast path: 8-byte moves that may write up to 7 bytes past the
                // copy (there is room); those bytes are rewritten later.
                var d = op
                let stop = op + length
                if offset < 8 {
                    // Widen the pattern: after each move the bytes in src..<d
                    // repeat with a period that divides d - src, which doubles.
                    repeat {
                        d.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                        d += d - src
                    } while d - src < 8 && d < stop
                }
                while d < stop {
                    d.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    src += 8
                    d += 8
                }
            } else if offset >= length {
                memcpy(op, src, length)
            } else {
                // Overlapping copy near the end of the output: byte by byte.
                for i in 0..<length {
                    op.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                }
            }
            op += length
        }
        let produced = op - opBase
        guard produced == count else {
            throw CompressionError(
                "SNAPPY data is truncated: it produced \(produced) bytes, but \(count) bytes were expected")
        }
        return produced
    }

    /// Copies 16 bytes between non-overlapping locations.
    @inline(__always)
    private static func copy16(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer) {
        dst.storeBytes(of: src.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
    }

    // MARK: Compression

    /// Snappy's worst-case output size for `n` input bytes.
    static func maxCompressedLength(_ n: Int) -> Int { 32 + n + n / 6 }

    /// Input is compressed in independent blocks of this size, so match
    /// offsets always fit in 16 bits.
    private static let blockSize = 1 << 16
    private static let maxTableSize = 1 << 14
    /// Bytes at the end of a block that are never searched for matches, so
    /// 4- and 8-byte loads stay in bounds.
    private static let inputMargin = 15

    /// Compresses `input` into the raw Snappy block format with a greedy
    /// hash-table matcher (the same scheme as the reference compressor).
    static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard input.count <= Int(UInt32.max) else {
            throw CompressionError("SNAPPY: input of \(input.count) bytes is too large (limit 4 GiB - 1)")
        }
        let bound = maxCompressedLength(input.count)
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            var op = base
            var v = UInt32(input.count)
            while v >= 0x80 {
                op.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, as: UInt8.self)
                op += 1
                v >>= 7
            }
            op.storeBytes(of: UInt8(v), as: UInt8.self)
            op += 1
            if let src = input.baseAddress, input.count > 0 {
                let table = UnsafeMutablePointer<UInt16>.allocate(capacity: maxTableSize)
                defer { table.deallocate() }
                var pos = 0
                while pos < input.count {
                    let n = min(blockSize, input.count - pos)
                    op = compressBlock(src + pos, n, op, table)
                    pos += n
                }
            }
            count = op - base
        }
    }

    @inline(__always)
    private static func load32(_ p: UnsafeRawPointer, _ i: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }

    @inline(__always)
    private static func hash(_ v: UInt32, _ shift: UInt32) -> Int {
        Int((v &* 0x1E35_A7BD) >> shift)
    }

    /// Compresses one block of at most 64 KiB and returns the new output position.
    private static func compressBlock(
        _ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutableRawPointer, _ table: UnsafeMutablePointer<UInt16>
    ) -> UnsafeMutableRawPointer {
        var op = dst
        if n < inputMargin {
            return emitLiteral(op, src, n)
        }
        var tableSize = 256
        var tableBits: UInt32 = 8
        while tableSize < maxTableSize && tableSize < n {
            tableSize <<= 1
            tableBits += 1
        }
        let shift = 32 - tableBits
        table.update(repeating: 0, count: tableSize)

        let ipLimit = n - inputMargin
        var nextEmit = 0
        var ip = 1
        var nextHash = hash(load32(src, ip), shift)
        outer: while true {
            // Look for a 4-byte match, skipping faster through incompressible data.
            var skip: UInt32 = 32
            var nextIp = ip
            var candidate = 0
            repeat {
                ip = nextIp
                let h = nextHash
                nextIp = ip + Int(skip >> 5)
                skip &+= 1
                if nextIp > ipLimit { break outer }
                nextHash = hash(load32(src, nextIp), shift)
                candidate = Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: ip)
            } while load32(src, ip) != load32(src, candidate)

            op = emitLiteral(op, src + nextEmit, ip - nextEmit)

            // Emit copies for as long as the next position matches too.
            repeat {
                let matchStart = ip
                let matched = 4 + matchLength(src, candidate + 4, ip + 4, n)
                ip += matched
                op = emitCopy(op, offset: matchStart - candidate, length: matched)
                nextEmit = ip
                if ip >= ipLimit { break outer }
                table[hash(load32(src, ip - 1), shift)] = UInt16(truncatingIfNeeded: ip - 1)
                let h = hash(load32(src, ip), shift)
                candidate = Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: ip)
            } while load32(src, ip) == load32(src, candidate)

            ip += 1
            nextHash = hash(load32(src, ip), shift)
        }
        if nextEmit < n {
            op = emitLiteral(op, src + nextEmit, n - nextEmit)
        }
        return op
    }

    /// How many bytes at `a` and `b` are equal, not reading at or past `end`
    /// (`a` < `b`).
    @inline(__always)
    private static func matchLength(_ p: UnsafeRawPointer, _ a: Int, _ b: Int, _ end: Int) -> Int {
        var a = a
        var b = b
        var matched = 0
        while b + 8 <= end {
            let x =
                UInt64(littleEndian: p.loadUnaligned(fromByteOffset: a, as: UInt64.self))
                ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: b, as: UInt64.self))
            if x != 0 { return matched + x.trailingZeroBitCount >> 3 }
            a += 8
            b += 8
            matched += 8
        }
        while b < end && p.load(fromByteOffset: a, as: UInt8.self) == p.load(fromByteOffset: b, as: UInt8.self) {
            a += 1
            b += 1
            matched += 1
        }
        return matched
    }

    @inline(__always)
    private static func emitLiteral(_ op: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ length: Int)
        -> UnsafeMutableRawPointer
    {
        var op = op
        let n = UInt32(length - 1)
        if n < 60 {
            op.storeBytes(of: UInt8(n << 2), as: UInt8.self)
            op += 1
        } else {
            let bytes = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4
            op.storeBytes(of: UInt8((59 + bytes) << 2), as: UInt8.self)
            for i in 0..<bytes {
                op.storeBytes(of: UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))), toByteOffset: 1 + i, as: UInt8.self)
            }
            op += 1 + bytes
        }
        memcpy(op, src, length)
        return op + length
    }

    @inline(__always)
    private static func emitCopy(_ op: UnsafeMutableRawPointer, offset: Int, length: Int) -> UnsafeMutableRawPointer {
        var op = op
        var length = length
        // Copy-2 elements hold at most 64 bytes; keep every piece >= 4 bytes.
        while length >= 68 {
            op = emitCopyUpTo64(op, offset, 64)
            length -= 64
        }
        if length > 64 {
            op = emitCopyUpTo64(op, offset, 60)
            length -= 60
        }
        return emitCopyUpTo64(op, offset, length)
    }

    @inline(__always)
    private static func emitCopyUpTo64(_ op: UnsafeMutableRawPointer, _ offset: Int, _ length: Int)
        -> UnsafeMutableRawPointer
    {
        if length < 12 && offset < 2048 {
            let tag = 1 | UInt8(length - 4) << 2 | UInt8(offset >> 8) << 5
            op.storeBytes(of: tag, as: UInt8.self)
            op.storeBytes(of: UInt8(truncatingIfNeeded: offset), toByteOffset: 1, as: UInt8.self)
            return op + 2
        }
        op.storeBytes(of: 2 | UInt8(length - 1) << 2, as: UInt8.self)
        op.storeBytes(of: UInt16(offset).littleEndian, toByteOffset: 1, as: UInt16.self)
        return op + 3
    }
}
