// GZIP via zlib (linked through the CZlib system library target), and CRC-32.

import CZlib

/// The standard CRC-32 (the one used by zlib, gzip, PNG, and Parquet page
/// checksums): polynomial 0x04C11DB7 reflected, initial value and final XOR
/// 0xFFFFFFFF.
public enum CRC32 {
    /// The CRC-32 of `bytes`; 0 for an empty buffer.
    /// `checksum("123456789")` is `0xCBF43926`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// Continues a CRC-32 computation: `update(checksum(a), b)` equals the
    /// checksum of `a` followed by `b`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return crc }
        var value = uLong(crc)
        var remaining = bytes.count
        while remaining > 0 {
            let n = min(remaining, Int(Int32.max))
            value = CZlib.crc32(value, p, uInt(n))
            p += n
            remaining -= n
        }
        return UInt32(truncatingIfNeeded: value)
    }
}

enum Gzip {
    /// The largest chunk handed to zlib at once (its counters are 32-bit).
    private static let chunk = Int(UInt32.max / 2)

    /// Calls `inflateInit2_`/`deflateInit2_`; the macros are not imported into Swift.
    private static var streamSize: Int32 { Int32(MemoryLayout<z_stream>.size) }

    private static func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        if let msg = stream.pointee.msg { return String(cString: msg) }
        return "zlib error \(code)"
    }

    /// Inflates gzip (or zlib-wrapped) data into `output`. Concatenated gzip
    /// members are decoded one after the other until the input is used up.
    /// Stops with an error as soon as the data needs more room than `output`.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let inBase = input.baseAddress, input.count > 0 else {
            throw CompressionError("GZIP: empty input, but \(output.count) bytes were expected")
        }
        // z_stream holds a pointer to itself inside zlib's state, so it needs a stable address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        var rc = inflateInit2_(stream, 15 + 32, zlibVersion(), streamSize)
        guard rc == Z_OK else { throw CompressionError("GZIP: inflateInit2 failed (\(rc))") }
        defer { inflateEnd(stream) }

        // A 1-byte scratch stands in for an empty output: zlib rejects a NULL next_out.
        var scratch: UInt8 = 0
        return try withUnsafeMutablePointer(to: &scratch) { scratchPointer -> Int in
            let outBase = output.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? scratchPointer
            var consumed = 0  // input bytes handed to zlib, minus what it still holds
            var produced = 0
            // Hand the next chunks of input/output to zlib.
            func refill() {
                if stream.pointee.avail_in == 0 && consumed < input.count {
                    let n = min(chunk, input.count - consumed)
                    stream.pointee.next_in = UnsafeMutablePointer(
                        mutating: (inBase + consumed).assumingMemoryBound(to: Bytef.self))
                    stream.pointee.avail_in = uInt(n)
                    consumed += n
                }
                if stream.pointee.avail_out == 0 && produced < output.count {
                    let n = min(chunk, output.count - produced)
                    stream.pointee.next_out = outBase + produced
                    stream.pointee.avail_out = uInt(n)
                    produced += n
                }
            }
            stream.pointee.next_out = outBase
            stream.pointee.avail_out = 0
            while true {
                refill()
                let availOutBefore = stream.pointee.avail_out
                let availInBefore = stream.pointee.avail_in
                rc = inflate(stream, Z_NO_FLUSH)
                let inputLeft = Int(stream.pointee.avail_in) + (input.count - consumed)
                switch rc {
                case Z_STREAM_END:
                    if inputLeft == 0 { return produced - Int(stream.pointee.avail_out) }
                    // Tolerate zero padding after the last member (some writers pad).
                    if allZero(inBase + (input.count - inputLeft), inputLeft) {
                        return produced - Int(stream.pointee.avail_out)
                    }
                    // Another gzip member follows: start over on it.
                    rc = inflateReset(stream)
                    guard rc == Z_OK else { throw CompressionError("GZIP: inflateReset failed (\(rc))") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress was possible.
                    if stream.pointee.avail_out == 0 && produced == output.count {
                        throw CompressionError(
                            "GZIP data decompresses to more than the expected \(output.count) bytes")
                    }
                    if inputLeft == 0 {
                        throw CompressionError(
                            "GZIP data is truncated: it ended after producing \(produced - Int(stream.pointee.avail_out)) "
                                + "of the expected \(output.count) bytes")
                    }
                    // Should not happen: zlib made no progress with room on both sides.
                    if availOutBefore == stream.pointee.avail_out && availInBefore == stream.pointee.avail_in {
                        throw CompressionError("GZIP: zlib made no progress (\(zlibMessage(stream, rc)))")
                    }
                case Z_NEED_DICT:
                    throw CompressionError("GZIP data needs a preset dictionary, which Parquet does not use")
                default:
                    throw CompressionError("GZIP data is corrupt: \(zlibMessage(stream, rc))")
                }
            }
        }
    }

    private static func allZero(_ p: UnsafeRawPointer, _ count: Int) -> Bool {
        UnsafeRawBufferPointer(start: p, count: count).allSatisfy { $0 == 0 }
    }

    /// Compresses `input` into a single gzip member (deflate, windowBits 15+16).
    static func compress(_ input: UnsafeRawBufferPointer, level: Int?) throws -> [UInt8] {
        let lvl = level ?? Int(Z_DEFAULT_COMPRESSION)
        guard (-1...9).contains(lvl) else { throw CompressionError("GZIP: level must be in -1...9, got \(lvl)") }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        var rc = deflateInit2_(stream, Int32(lvl), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), streamSize)
        guard rc == Z_OK else { throw CompressionError("GZIP: deflateInit2 failed (\(rc))") }
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, uLong(input.count)))
        var empty: UInt8 = 0
        var failure: CompressionError?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            withUnsafeMutablePointer(to: &empty) { emptyPointer in
                let inBase = input.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(emptyPointer)
                let outBase = buffer.baseAddress!
                var consumed = 0
                var produced = 0
                while true {
                    if stream.pointee.avail_in == 0 && consumed < input.count {
                        let n = min(chunk, input.count - consumed)
                        stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                        stream.pointee.avail_in = uInt(n)
                        consumed += n
                    }
                    if stream.pointee.avail_out == 0 {
                        if produced == bound {
                            failure = CompressionError("GZIP compression overflowed deflateBound")
                            count = 0
                            return
                        }
                        let n = min(chunk, bound - produced)
                        stream.pointee.next_out = outBase + produced
                        stream.pointee.avail_out = uInt(n)
                        produced += n
                    }
                    if stream.pointee.next_in == nil { stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase) }
                    let flush = consumed == input.count ? Z_FINISH : Z_NO_FLUSH
                    rc = deflate(stream, flush)
                    if rc == Z_STREAM_END {
                        count = produced - Int(stream.pointee.avail_out)
                        return
                    }
                    if rc != Z_OK && rc != Z_BUF_ERROR {
                        failure = CompressionError("GZIP compression failed: \(zlibMessage(stream, rc))")
                        count = 0
                        return
                    }
                    if rc == Z_BUF_ERROR && stream.pointee.avail_out != 0 {
                        failure = CompressionError("GZIP compression made no progress")
                        count = 0
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return out
    }
}
