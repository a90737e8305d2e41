import TestSupport
import Testing
@testable import Parquet

@Suite struct EncodingTestsPlain {
    @Test(arguments: [0, 1, 7, 8, 9, 100, 1001])
    func roundTripAllTypes(count: Int) throws {
        var rng = SeededRNG(seed: UInt64(count) &+ 11)
        let trailer: [UInt8] = [1, 2, 3]

        let bools = (0..<count).map { _ in rng.next() % 3 == 0 }
        let be = PlainEncoder.encode(bools)
        #expect(be.count == (count + 7) / 8)
        let (bd, bc) = try withData(be + trailer) { try PlainDecoder.decodeBooleans($0, count: count) }
        #expect(bd == bools)
        #expect(bc == be.count)

        let i32 = (0..<count).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        let (d32, c32) = try withData(PlainEncoder.encode(i32) + trailer) { try PlainDecoder.decodeInt32($0, count: count) }
        #expect(d32 == i32 && c32 == count * 4)

        let i64 = (0..<count).map { _ in Int64(bitPattern: rng.next()) }
        let (d64, c64) = try withData(PlainEncoder.encode(i64) + trailer) { try PlainDecoder.decodeInt64($0, count: count) }
        #expect(d64 == i64 && c64 == count * 8)

        let f = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let (df, _) = try withData(PlainEncoder.encode(f)) { try PlainDecoder.decodeFloat($0, count: count) }
        #expect(df.map(\.bitPattern) == f.map(\.bitPattern))

        let d = (0..<count).map { _ in Double(bitPattern: rng.next()) }
        let (dd, _) = try withData(PlainEncoder.encode(d)) { try PlainDecoder.decodeDouble($0, count: count) }
        #expect(dd.map(\.bitPattern) == d.map(\.bitPattern))

        let i96 = (0..<count).map { _ in Int96(nanosOfDay: rng.next(), julianDay: UInt32(truncatingIfNeeded: rng.next())) }
        let e96 = PlainEncoder.encode(i96)
        #expect(e96.count == count * 12)
        let (d96, c96) = try withData(e96 + trailer) { try PlainDecoder.decodeInt96($0, count: count) }
        #expect(d96 == i96 && c96 == count * 12)

        let strings = randomStrings(count: count, rng: &rng)
        let se = PlainEncoder.encode(strings)
        let (sd, sc) = try withData(se + trailer) { try PlainDecoder.decodeByteArrays($0, count: count) }
        #expect(arrays(sd) == arrays(strings))
        #expect(sd.offsets == strings.offsets)
        #expect(sc == se.count)

        let fixed = FixedByteArrays(width: 5, bytes: (0..<count * 5).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let (fd, fc) = try withData(PlainEncoder.encode(fixed) + trailer) { try PlainDecoder.decodeFixedByteArrays($0, count: count, width: 5) }
        #expect(fd.bytes == fixed.bytes && fc == count * 5)

        // Truncated by one byte: throws.
        if count > 0 {
            for data in [be, PlainEncoder.encode(i32), PlainEncoder.encode(i64), e96, se, fixed.bytes] {
                let short = Array(data.dropLast())
                expectEncodingError(["PLAIN"]) {
                    _ = try withData(short) { raw in
                        switch data.count {
                        case be.count where data == be: _ = try PlainDecoder.decodeBooleans(raw, count: count)
                        case count * 4: _ = try PlainDecoder.decodeInt32(raw, count: count)
                        case count * 8: _ = try PlainDecoder.decodeInt64(raw, count: count)
                        case count * 12: _ = try PlainDecoder.decodeInt96(raw, count: count)
                        case count * 5: _ = try PlainDecoder.decodeFixedByteArrays(raw, count: count, width: 5)
                        default: _ = try PlainDecoder.decodeByteArrays(raw, count: count)
                        }
                    }
                }
            }
        }
    }

    @Test func knownBytes() throws {
        #expect(PlainEncoder.encode([true, false, true, true, false, false, false, false, true]) == [0b0000_1101, 0b0000_0001])
        #expect(PlainEncoder.encode([1, -2] as [Int32]) == [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF])
        #expect(PlainEncoder.encode(byteArrays([[0x61, 0x62], []])) == [2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0])
        let i96 = Int96(nanosOfDay: 0x0102_0304_0506_0708, julianDay: 2_440_588)
        #expect(PlainEncoder.encode([i96]) == [8, 7, 6, 5, 4, 3, 2, 1, 0x8C, 0x3D, 0x25, 0x00])
        // Every bit pattern of a byte decodes to the right booleans.
        let all = (0..<256).map { UInt8($0) }
        let (b, _) = try withData(all) { try PlainDecoder.decodeBooleans($0, count: 2048) }
        for i in 0..<2048 { #expect(b[i] == ((all[i / 8] >> UInt8(i % 8)) & 1 == 1)) }
    }

    @Test func malformed() throws {
        expectEncodingError(["value 1 at byte 6 has length 4294967295, only 0 bytes remain"]) {
            _ = try withData([2, 0, 0, 0, 0x61, 0x62, 0xFF, 0xFF, 0xFF, 0xFF]) { try PlainDecoder.decodeByteArrays($0, count: 2) }
        }
        expectEncodingError(["value 0 at byte 0 has length 2147483648"]) {
            _ = try withData([0, 0, 0, 0x80, 1, 2, 3, 4]) { try PlainDecoder.decodeByteArrays($0, count: 1) }
        }
        expectEncodingError(["value 0 at byte 0 has length 4, only 3 bytes remain (7 less 4 for each of the 1 values after it)"]) {
            _ = try withData([4, 0, 0, 0, 1, 2, 3, 4, 1, 1, 1]) { try PlainDecoder.decodeByteArrays($0, count: 2) }
        }
        // A long first value that leaves no room for the later length prefixes.
        expectEncodingError(["value 0 at byte 0 has length 36, only 0 bytes remain (36 less 4 for each of the 9 values after it)"]) {
            _ = try withData([36, 0, 0, 0] + [UInt8](repeating: 1, count: 36)) { try PlainDecoder.decodeByteArrays($0, count: 10) }
        }
        // Absurd counts throw before allocating.
        expectEncodingError(["PLAIN Int64"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeInt64($0, count: Int.max / 2) } }
        expectEncodingError(["PLAIN BYTE_ARRAY"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeByteArrays($0, count: Int.max) } }
        expectEncodingError(["PLAIN BOOLEAN"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeBooleans($0, count: Int.max) } }
        expectEncodingError(["INT96"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeInt96($0, count: Int.max) } }
        expectEncodingError(["width 0 is invalid"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeFixedByteArrays($0, count: 1, width: 0) } }
        expectEncodingError(["negative value count"]) { _ = try withData([1, 2, 3]) { try PlainDecoder.decodeInt32($0, count: -1) } }
    }
}

@Suite struct EncodingTestsByteStreamSplit {
    @Test func knownBytes() throws {
        let enc = ByteStreamSplit.encode([0x0403_0201, 0x0807_0605] as [Int32])
        #expect(enc == [0x01, 0x05, 0x02, 0x06, 0x03, 0x07, 0x04, 0x08])
        let (v, c) = try withData(enc) { try ByteStreamSplit.decodeInt32($0, count: 2) }
        #expect(v == [0x0403_0201, 0x0807_0605] && c == 8)
    }

    @Test(arguments: [0, 1, 3, 100, 4099])
    func roundTrip(count: Int) throws {
        var rng = SeededRNG(seed: UInt64(count))
        let f = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let (df, cf) = try withData(ByteStreamSplit.encode(f)) { try ByteStreamSplit.decodeFloat($0, count: count) }
        #expect(df.map(\.bitPattern) == f.map(\.bitPattern) && cf == count * 4)
        let d = (0..<count).map { _ in Double(bitPattern: rng.next()) }
        let (dd, _) = try withData(ByteStreamSplit.encode(d)) { try ByteStreamSplit.decodeDouble($0, count: count) }
        #expect(dd.map(\.bitPattern) == d.map(\.bitPattern))
        let i32 = (0..<count).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        let (d32, _) = try withData(ByteStreamSplit.encode(i32)) { try ByteStreamSplit.decodeInt32($0, count: count) }
        #expect(d32 == i32)
        let i64 = (0..<count).map { _ in Int64(bitPattern: rng.next()) }
        let (d64, c64) = try withData(ByteStreamSplit.encode(i64)) { try ByteStreamSplit.decodeInt64($0, count: count) }
        #expect(d64 == i64 && c64 == count * 8)
        var out = [Int64](repeating: 0, count: count + 1)
        let c = try withData(ByteStreamSplit.encode(i64)) { raw in try out.withUnsafeMutableBufferPointer { try ByteStreamSplit.decode(raw, count: count, into: $0.baseAddress!) } }
        #expect(Array(out.prefix(count)) == i64 && c == count * 8)
        for width in [1, 3, 7, 16] {
            let fixed = FixedByteArrays(width: width, bytes: (0..<count * width).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            let enc = ByteStreamSplit.encode(fixed)
            let (fd, fc) = try withData(enc) { try ByteStreamSplit.decodeFixedByteArrays($0, count: count, width: width) }
            #expect(fd.bytes == fixed.bytes && fc == count * width)
            if count > 0 {
                expectEncodingError(["BYTE_STREAM_SPLIT: \(count) values of \(width) bytes need \(count * width) bytes, \(count * width - 1) available"]) {
                    _ = try withData(Array(enc.dropLast())) { try ByteStreamSplit.decodeFixedByteArrays($0, count: count, width: width) }
                }
            }
        }
    }
}
