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
    /// length declared in the stream header. Every element is checked against
    /// both buffers, so corrupt input throws and never reads or writes out of
    /// bounds.
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
        return try decodeElements(ip, ipEnd, outBase, output.count)
    }

    @inline(never)
    private static func corrupt(_ what: String, at ip: UnsafeRawPointer, produced: Int, expected: Int)
        -> CompressionError
    {
        CompressionError("SNAPPY data is corrupt: \(what) (after producing \(produced) of \(expected) bytes)")
    }

    /// The element loop. `ip..<ipEnd` is the input after the length header,
    /// `opBase` has room for exactly `count` bytes.
    private static func decodeElements(
        _ start: UnsafeRawPointer, _ ipEnd: UnsafeRawPointer, _ opBase: UnsafeMutableRawPointer, _ count: Int
    ) throws -> Int {
        var ip = start
        var op = opBase
        let opEnd = opBase + count

        while ip < ipEnd {
            let tag = UInt32(ip.load(as: UInt8.self))
            if tag & 3 == 0 {
                // Literal.
                var length = Int(tag >> 2) &+ 1
                ip += 1
                if length > 60 {
                    let extra = length &- 60  // 1...4 length bytes
                    guard ipEnd - ip >= extra else {
                        throw corrupt("truncated literal length", at: ip, produced: op - opBase, expected: count)
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
                if length <= 16 && inLeft >= 16 && outLeft >= 16 {
                    // Short literal with room to spare: two 8-byte moves.
                    op.storeBytes(of: ip.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    op.storeBytes(
                        of: ip.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
                } else {
                    guard length <= inLeft else {
                        throw corrupt(
                            "literal of \(length) bytes runs past the end of the input", at: ip,
                            produced: op - opBase, expected: count)
                    }
                    guard length <= outLeft else {
                        throw corrupt(
                            "literal of \(length) bytes runs past the expected output size", at: ip,
                            produced: op - opBase, expected: count)
                    }
                    memcpy(op, ip, length)
                }
                ip += length
                op += length
                continue
            }

            // Copy.
            let length: Int
            let offset: Int
            switch tag & 3 {
            case 1:
                guard ipEnd - ip >= 2 else {
                    throw corrupt("truncated copy element", at: ip, produced: op - opBase, expected: count)
                }
                length = Int((tag >> 2) & 7) &+ 4
                offset = Int(tag >> 5) << 8 | Int(ip.load(fromByteOffset: 1, as: UInt8.self))
                ip += 2
            case 2:
                guard ipEnd - ip >= 3 else {
                    throw corrupt("truncated copy element", at: ip, produced: op - opBase, expected: count)
                }
                length = Int(tag >> 2) &+ 1
                offset = Int(UInt16(littleEndian: ip.loadUnaligned(fromByteOffset: 1, as: UInt16.self)))
                ip += 3
            default:
                guard ipEnd - ip >= 5 else {
                    throw corrupt("truncated copy element", at: ip, produced: op - opBase, expected: count)
                }
                length = Int(tag >> 2) &+ 1
                offset = Int(UInt32(littleEndian: ip.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
                ip += 5
            }
            guard offset != 0 && offset <= op - opBase else {
                throw corrupt(
                    "copy offset \(offset) points before the start of the output", at: ip,
                    produced: op - opBase, expected: count)
            }
            let outLeft = opEnd - op
            guard length <= outLeft else {
                throw corrupt(
                    "copy of \(length) bytes runs past the expected output size", at: ip,
                    produced: op - opBase, expected: count)
            }
            var src = op - offset
            if outLeft >= length &+ 8 {
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
