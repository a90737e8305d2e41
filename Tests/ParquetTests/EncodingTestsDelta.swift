import TestSupport
import Testing
@testable import Parquet

@Suite struct EncodingTestsDeltaBinaryPacked {
    /// Encodings.md example 1: 1, 2, 3, 4, 5 → deltas all 1: min delta 1, bit width 0, no miniblock data.
    /// (Block of 128 with 4 miniblocks instead of the spec's illustrative block size of 8.)
    @Test func specExample1() throws {
        let expected: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02, /* block */ 0x02, 0, 0, 0, 0]
        #expect(DeltaBinaryPackedEncoder.encode([1, 2, 3, 4, 5] as [Int32]) == expected)
        let (v, c) = try withData(expected) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 5) }
        #expect(v == [1, 2, 3, 4, 5])
        #expect(c == expected.count)
        let (v64, _) = try withData(expected) { try DeltaBinaryPackedDecoder.decodeInt64($0, maxCount: 10) }
        #expect(v64 == [1, 2, 3, 4, 5])
    }

    /// Encodings.md example 2: 7, 5, 3, 1, 2, 3, 4, 5 → deltas -2 -2 -2 1 1 1 1, min delta -2,
    /// relative 0 0 0 3 3 3 3 at bit width 2.
    @Test func specExample2() throws {
        let expected: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0E, /* min delta -2 */ 0x03, /* widths */ 2, 0, 0, 0,
                                 0xC0, 0x3F, 0, 0, 0, 0, 0, 0]
        #expect(DeltaBinaryPackedEncoder.encode([7, 5, 3, 1, 2, 3, 4, 5] as [Int64]) == expected)
        let (v, c) = try withData(expected) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 8) }
        #expect(v == [7, 5, 3, 1, 2, 3, 4, 5])
        #expect(c == expected.count)
        // The last miniblock may be cut short in the data as long as the needed values are there:
        // 7 deltas of 2 bits need 2 bytes.
        let short = Array(expected.prefix(12))
        let (vs, cs) = try withData(short) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 8) }
        #expect(vs == [7, 5, 3, 1, 2, 3, 4, 5])
        #expect(cs == 12)
        expectEncodingError(["needs 2 bytes for 7 values of width 2, 1 remain", "decoded 1 of 8"]) {
            _ = try withData(Array(expected.prefix(11))) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 8) }
        }
    }

    static func roundTrip<T: FixedWidthInteger & SignedInteger>(_ values: [T]) throws {
        var enc = [UInt8]()
        values.withUnsafeBufferPointer { DeltaBinaryPackedEncoder.encode($0, into: &enc) }
        let trailer: [UInt8] = [0xEE, 0xFF]
        var out = [T](repeating: 0, count: values.count)
        let consumed = try withData(enc + trailer) { raw in
            try out.withUnsafeMutableBufferPointer { b in
                var dummy: T = 0
                return try DeltaBinaryPackedDecoder.decode(raw, count: values.count, into: b.baseAddress ?? withUnsafeMutablePointer(to: &dummy) { $0 })
            }
        }
        #expect(out == values, "\(T.self) count \(values.count)")
        #expect(consumed == enc.count)
    }

    @Test func roundTripRandom() throws {
        var rng = SeededRNG(seed: 42)
        let lengths = [0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 255, 256, 257, 1000, 5000]
        for n in lengths {
            for mode in 0..<5 {
                func gen64() -> Int64 {
                    switch mode {
                    case 0: return Int64(bitPattern: rng.next())                    // full range, wrapping deltas
                    case 1: return Int64(rng.next() % 1000) - 500                    // small
                    case 2: return [Int64.min, Int64.max, 0, -1, 1][Int(rng.next() % 5)] // extremes
                    case 3: return Int64(rng.next() % 3)                              // nearly constant
                    default: return Int64(bitPattern: rng.next() >> UInt64(rng.next() % 64))
                    }
                }
                var v64 = (0..<n).map { _ in gen64() }
                if mode == 1 { // sorted: monotone deltas
                    v64.sort()
                }
                try Self.roundTrip(v64)
                try Self.roundTrip(v64.map { Int32(truncatingIfNeeded: $0) })
            }
        }
        try Self.roundTrip([Int64.min, Int64.max, Int64.min, Int64.max, 0])
        try Self.roundTrip([Int32.min, Int32.max, Int32.min, Int32.max, 0])
        try Self.roundTrip([Int64](repeating: Int64.max, count: 300))
    }

    /// Some writers compute INT32 deltas in 64 bits, producing widths above 32: decode with wrapping.
    @Test func int32WithWideMiniblocks() throws {
        let values: [Int32] = [Int32.min, Int32.max, Int32.min, 5, Int32.max, -7]
        let enc = DeltaBinaryPackedEncoder.encode(values.map { Int64($0) })
        #expect(enc[7...].contains { $0 > 32 && $0 <= 64 }, "expected a miniblock wider than 32 bits")
        let (v, c) = try withData(enc) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: values.count) }
        #expect(v == values)
        #expect(c == enc.count)
    }

    @Test func malformed() throws {
        // Block size 100 (not a multiple of 128).
        expectEncodingError(["block size 100 is not a positive multiple of 128"]) {
            _ = try withData([100, 4, 1, 0]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 1) }
        }
        // 128 values in 8 miniblocks = 16 per miniblock.
        expectEncodingError(["do not give a multiple of 32"]) {
            _ = try withData([0x80, 0x01, 8, 1, 0]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 1) }
        }
        expectEncodingError(["do not give a multiple of 32"]) {
            _ = try withData([0x80, 0x01, 0, 1, 0]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 1) }
        }
        // Bit width 65.
        expectEncodingError(["miniblock 0 bit width 65 is invalid (max 64)"]) {
            _ = try withData([0x80, 0x01, 4, 3, 0, 0, 65, 0, 0, 0] + [UInt8](repeating: 0, count: 300)) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 3) }
        }
        // Count mismatch and huge untrusted counts (2^40 values of width 0 would be tiny on disk).
        expectEncodingError(["header says 5 values, expected 4"]) {
            _ = try withData([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 4) }
        }
        var huge: [UInt8] = [0x80, 0x01, 0x04]
        Varint.appendULEB(1 << 40, to: &huge)
        huge += [0x00, 0x02, 0, 0, 0, 0]
        expectEncodingError(["more than the 1000 expected"]) {
            _ = try withData(huge) { try DeltaBinaryPackedDecoder.decodeInt64($0, maxCount: 1000) }
        }
        expectEncodingError(["expected 1000"]) {
            _ = try withData(huge) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 1000) }
        }
        // Varint too long.
        expectEncodingError(["block size varint at byte 0 overflows 64 bits"]) {
            _ = try withData([UInt8](repeating: 0x80, count: 12) + [0]) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: 1) }
        }
        // Missing miniblock width bytes.
        expectEncodingError(["4 miniblock bit widths need 4 bytes, 2 remain"]) {
            _ = try withData([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 5) }
        }
        // Empty data is fine for zero values, not for one.
        #expect(try withData([]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 0) }.values.isEmpty)
        expectEncodingError(["truncated"]) { _ = try withData([]) { try DeltaBinaryPackedDecoder.decodeInt32($0, count: 1) } }
    }

    @Test func truncatedAtEveryByte() throws {
        var rng = SeededRNG(seed: 9)
        for n in [1, 5, 40, 129, 700] {
            let values = (0..<n).map { _ in Int64(bitPattern: rng.next() >> UInt64(rng.next() % 64)) }
            let enc = DeltaBinaryPackedEncoder.encode(values)
            for cut in 0..<enc.count {
                do {
                    let (got, _) = try withData(Array(enc.prefix(cut))) { try DeltaBinaryPackedDecoder.decodeInt64($0, count: n) }
                    #expect(got == values, "cut \(cut) decoded wrong values")
                } catch is ParquetEncodingError {}
                do {
                    let (got, _) = try withData(Array(enc.prefix(cut))) { try DeltaBinaryPackedDecoder.decodeInt32($0, maxCount: n) }
                    #expect(got == values.map { Int32(truncatingIfNeeded: $0) })
                } catch is ParquetEncodingError {}
            }
        }
    }
}

/// Builds a DELTA_BINARY_PACKED stream of `lengths` (< 2^8 each) whose unused trailing miniblocks are
/// written out ("padded") with width 8, as some writers do.
func paddedDeltaStream(_ values: [Int32]) -> [UInt8] {
    precondition(values.count >= 2 && values.count <= 33)
    var out: [UInt8] = [0x80, 0x01, 0x04]
    Varint.appendULEB(UInt64(values.count), to: &out)
    Varint.appendULEB(Varint.zigzagEncode(Int64(values[0])), to: &out)
    let deltas = zip(values.dropFirst(), values).map { Int64($0) - Int64($1) }
    let minDelta = deltas.min()!
    Varint.appendULEB(Varint.zigzagEncode(minDelta), to: &out)
    out += [16, 8, 8, 8]
    var rel = deltas.map { UInt64($0 - minDelta) }
    rel += [UInt64](repeating: 0, count: 32 - rel.count)
    rel.withUnsafeBufferPointer { BitPacking.pack($0.baseAddress!, count: 32, bitWidth: 16, into: &out) }
    out += [UInt8](repeating: 0xAA, count: 3 * 32) // padding miniblocks
    return out
}

@Suite struct EncodingTestsDeltaByteArray {
    @Test func roundTripRandom() throws {
        var rng = SeededRNG(seed: 1234)
        for n in [0, 1, 2, 3, 50, 128, 129, 1000, 3000] {
            let values = randomStrings(count: n, rng: &rng)
            let dlba = DeltaByteArrayEncoder.encodeDeltaLength(values)
            let (a, ca) = try withData(dlba) { try DeltaByteArrayDecoder.decodeDeltaLength($0, count: n) }
            #expect(arrays(a) == arrays(values))
            #expect(a.offsets == values.offsets)
            #expect(ca == dlba.count)
            let dba = DeltaByteArrayEncoder.encodeDelta(values)
            let (b, cb) = try withData(dba) { try DeltaByteArrayDecoder.decodeDelta($0, count: n) }
            #expect(arrays(b) == arrays(values))
            #expect(b.offsets == values.offsets)
            #expect(cb == dba.count)
        }
        // All empty strings.
        let empties = byteArrays(Array(repeating: [], count: 500))
        let (e, _) = try withData(DeltaByteArrayEncoder.encodeDelta(empties)) { try DeltaByteArrayDecoder.decodeDelta($0, count: 500) }
        #expect(e.count == 500 && e.bytes.isEmpty)
    }

    /// Encodings.md example: axis, axle, babble, babyhood → prefixes 0 2 0 3, suffixes axis le babble yhood.
    @Test func specExample() throws {
        let words = byteArrays(["axis", "axle", "babble", "babyhood"].map { Array($0.utf8) })
        let enc = DeltaByteArrayEncoder.encodeDelta(words)
        let (pre, suf, consumed) = try withData(enc) { try DeltaByteArrayDecoder.decodeParts($0, count: 4) }
        #expect(pre == [0, 2, 0, 3])
        #expect(arrays(suf) == ["axis", "le", "babble", "yhood"].map { Array($0.utf8) })
        #expect(consumed == enc.count)
        let (v, _) = try withData(enc) { try DeltaByteArrayDecoder.decodeDelta($0, count: 4) }
        #expect(arrays(v) == arrays(words))
        // DELTA_LENGTH_BYTE_ARRAY of the same: lengths 4 4 6 8 then "axisaxlebabblebabyhood".
        let dl = DeltaByteArrayEncoder.encodeDeltaLength(words)
        #expect(Array(dl.suffix(22)) == Array("axisaxlebabblebabyhood".utf8))
    }

    @Test func fixedLength() throws {
        var rng = SeededRNG(seed: 5)
        for width in [1, 2, 12, 16] {
            var f = FixedByteArrays(width: width)
            for _ in 0..<300 {
                // Values sharing prefixes.
                let base: [UInt8] = f.count > 0 && rng.next() % 2 == 0 ? Array(f[f.count - 1]) : (0..<width).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                var v = base
                v[Int(rng.next() % UInt64(width))] = UInt8(truncatingIfNeeded: rng.next())
                f.bytes += v
            }
            let enc = DeltaByteArrayEncoder.encodeDelta(f)
            let (d, c) = try withData(enc) { try DeltaByteArrayDecoder.decodeDeltaFixed($0, count: 300, width: width) }
            #expect(d.bytes == f.bytes)
            #expect(c == enc.count)
            expectEncodingError(["expected fixed width \(width + 1)"]) {
                _ = try withData(enc) { try DeltaByteArrayDecoder.decodeDeltaFixed($0, count: 300, width: width + 1) }
            }
        }
    }

    @Test func malformed() throws {
        // Negative length.
        let negLengths = DeltaBinaryPackedEncoder.encode([3, -1, 2] as [Int32]) + Array("abcde".utf8)
        expectEncodingError(["value 1 has negative length -1"]) {
            _ = try withData(negLengths) { try DeltaByteArrayDecoder.decodeDeltaLength($0, count: 3) }
        }
        // Lengths exceeding the data.
        let long = DeltaBinaryPackedEncoder.encode([3, 100] as [Int32]) + Array("abcde".utf8)
        expectEncodingError(["lengths total 103 bytes, but only 5 remain"]) {
            _ = try withData(long) { try DeltaByteArrayDecoder.decodeDeltaLength($0, count: 2) }
        }
        // Prefix longer than the previous value.
        let badPrefix = DeltaBinaryPackedEncoder.encode([0, 5] as [Int32]) + DeltaByteArrayEncoder.encodeDeltaLength(byteArrays([[1, 2], [3]]))
        expectEncodingError(["value 1 has prefix length 5, but the previous value has 2 bytes"]) {
            _ = try withData(badPrefix) { try DeltaByteArrayDecoder.decodeDelta($0, count: 2) }
        }
        let firstPrefix = DeltaBinaryPackedEncoder.encode([1, 0] as [Int32]) + DeltaByteArrayEncoder.encodeDeltaLength(byteArrays([[1, 2], [3]]))
        expectEncodingError(["value 0 has prefix length 1, but the previous value has 0 bytes"]) {
            _ = try withData(firstPrefix) { try DeltaByteArrayDecoder.decodeDelta($0, count: 2) }
        }
        let negPrefix = DeltaBinaryPackedEncoder.encode([0, -3] as [Int32]) + DeltaByteArrayEncoder.encodeDeltaLength(byteArrays([[1, 2], [3]]))
        expectEncodingError(["prefix length -3"]) {
            _ = try withData(negPrefix) { try DeltaByteArrayDecoder.decodeDelta($0, count: 2) }
        }
        // Output blow-up is capped: one 1000-byte value then 10_000 copies via prefixes.
        var pre = [Int32](repeating: 1000, count: 10_001); pre[0] = 0
        var sufs = [[UInt8]](repeating: [], count: 10_001); sufs[0] = [UInt8](repeating: 7, count: 1000)
        let blowup = DeltaBinaryPackedEncoder.encode(pre) + DeltaByteArrayEncoder.encodeDeltaLength(byteArrays(sufs))
        expectEncodingError(["exceed 1000000 bytes"]) {
            _ = try withData(blowup) { try DeltaByteArrayDecoder.decodeDelta($0, count: 10_001, maxOutputBytes: 1_000_000) }
        }
        let (ok, _) = try withData(blowup) { try DeltaByteArrayDecoder.decodeDelta($0, count: 10_001) }
        #expect(ok.bytes.count == 10_001_000)
        // Count mismatch between prefix and suffix streams.
        expectEncodingError(["expected 3"]) {
            _ = try withData(DeltaByteArrayEncoder.encodeDelta(byteArrays([[1], [2]]))) { try DeltaByteArrayDecoder.decodeDelta($0, count: 3) }
        }
    }

    /// Writers that pad the unused miniblocks of the last block are still decoded.
    @Test func paddedLengthBlocks() throws {
        let words: [[UInt8]] = ["parquet", "park", "", "parking", "x"].map { Array($0.utf8) }
        let lengths = paddedDeltaStream(words.map { Int32($0.count) })
        let data = lengths + words.flatMap { $0 }
        let (v, c) = try withData(data) { try DeltaByteArrayDecoder.decodeDeltaLength($0, count: words.count) }
        #expect(arrays(v) == words)
        #expect(c == data.count)
        // Prefix stream padded too, inside DELTA_BYTE_ARRAY.
        let prefixes: [Int32] = [0, 3, 0, 0, 0]
        let suffixes = zip(words, prefixes).map { Array($0.dropFirst(Int($1))) }
        let dba = paddedDeltaStream(prefixes) + DeltaByteArrayEncoder.encodeDeltaLength(byteArrays(suffixes))
        let (d, cd) = try withData(dba) { try DeltaByteArrayDecoder.decodeDelta($0, count: words.count) }
        #expect(arrays(d) == words)
        #expect(cd == dba.count)
    }

    @Test func truncatedAtEveryByte() throws {
        var rng = SeededRNG(seed: 77)
        let values = randomStrings(count: 200, rng: &rng)
        for enc in [DeltaByteArrayEncoder.encodeDelta(values), DeltaByteArrayEncoder.encodeDeltaLength(values)] {
            for cut in 0..<enc.count {
                let part = Array(enc.prefix(cut))
                do {
                    let (a, _) = try withData(part) { try DeltaByteArrayDecoder.decodeDelta($0, count: 200) }
                    _ = a
                } catch is ParquetEncodingError {}
                do {
                    let (a, _) = try withData(part) { try DeltaByteArrayDecoder.decodeDeltaLength($0, count: 200) }
                    _ = a
                } catch is ParquetEncodingError {}
            }
        }
    }
}
