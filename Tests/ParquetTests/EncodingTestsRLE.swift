import TestSupport
import Testing
@testable import Parquet

@Suite struct EncodingTestsBitPacking {
    /// Reference LSB-first unpacker, bit by bit.
    static func reference(_ bytes: [UInt8], width: Int, count: Int) -> [UInt64] {
        (0..<count).map { i in
            var v: UInt64 = 0
            for b in 0..<width {
                let bit = i * width + b
                if (bytes[bit / 8] >> UInt8(bit % 8)) & 1 == 1 { v |= 1 << UInt64(b) }
            }
            return v
        }
    }

    @Test(arguments: 0...64)
    func unpackMatchesReference(width: Int) throws {
        var rng = SeededRNG(seed: UInt64(width) &* 7919)
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 1001] {
            let n = (count * width + 7) / 8
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let want = Self.reference(bytes, width: width, count: count)
            var got64 = [UInt64](repeating: 99, count: count + 1)
            try withData(bytes) { raw in
                try got64.withUnsafeMutableBufferPointer { try BitPacking.unpack64(raw, bitWidth: width, count: count, into: $0.baseAddress!) }
            }
            #expect(Array(got64.prefix(count)) == want, "width \(width) count \(count)")
            #expect(got64[count] == 99, "wrote past the end")
            if width <= 32 {
                var got32 = [UInt32](repeating: 99, count: count + 1)
                try withData(bytes) { raw in
                    try got32.withUnsafeMutableBufferPointer { try BitPacking.unpack32(raw, bitWidth: width, count: count, into: $0.baseAddress!) }
                }
                #expect(got32.prefix(count).map { UInt64($0) } == want)
                #expect(got32[count] == 99)
            }
            // Pack round trip.
            var packed = [UInt8]()
            want.withUnsafeBufferPointer { w in
                if count > 0 { BitPacking.pack(w.baseAddress!, count: count, bitWidth: width, into: &packed) }
            }
            var expectedPacked = count == 0 ? [] : bytes
            let usedBits = (count * width) % 8
            if usedBits != 0 { expectedPacked[expectedPacked.count - 1] &= UInt8((1 << usedBits) - 1) }
            #expect(packed == expectedPacked, "pack width \(width) count \(count)")
            // Too little data throws.
            if n > 0 {
                expectEncodingError(["need"]) {
                    try withData(Array(bytes.dropLast())) { raw in
                        try got64.withUnsafeMutableBufferPointer { try BitPacking.unpack64(raw, bitWidth: width, count: count, into: $0.baseAddress!) }
                    }
                }
            }
        }
    }

    @Test func invalidWidths() {
        var out = [UInt32](repeating: 0, count: 8)
        expectEncodingError(["bit width 33 is invalid (max 32)"]) {
            try [UInt8](repeating: 0, count: 64).withUnsafeBytes { raw in
                try out.withUnsafeMutableBufferPointer { try BitPacking.unpack32(raw, bitWidth: 33, count: 8, into: $0.baseAddress!) }
            }
        }
    }
}

@Suite struct EncodingTestsRLE {
    /// The bit-packing example from Encodings.md: 0...7 at width 3 are the bytes 10001000 11000110 11111010.
    @Test func specBitPackedExample() throws {
        let data: [UInt8] = [0x03, 0b1000_1000, 0b1100_0110, 0b1111_1010]
        #expect(try rleDecode(data, bitWidth: 3, count: 8) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(rleEncode([0, 1, 2, 3, 4, 5, 6, 7], bitWidth: 3) == data)
        try withData(data) { raw in
            var d = try RLEHybridDecoder(raw, bitWidth: 3)
            var out = [UInt8](repeating: 0, count: 8)
            try d.decode(count: 8, into: &out)
            #expect(out == [0, 1, 2, 3, 4, 5, 6, 7])
            #expect(d.bytesConsumed == 4)
        }
    }

    @Test func rleRunKnownBytes() throws {
        // 10 copies of 5 at width 3: header 10 << 1 = 0x14, one value byte.
        #expect(rleEncode(Array(repeating: 5, count: 10), bitWidth: 3) == [0x14, 0x05])
        #expect(try rleDecode([0x14, 0x05], bitWidth: 3, count: 10) == Array(repeating: 5, count: 10))
        // Width 17 uses 3 value bytes, little endian.
        #expect(rleEncode(Array(repeating: 0x1_2345, count: 8), bitWidth: 17) == [0x10, 0x45, 0x23, 0x01])
        // Width 0: no value bytes.
        #expect(rleEncode(Array(repeating: 0, count: 300), bitWidth: 0) == [0xD8, 0x04])
        #expect(try rleDecode([0xD8, 0x04], bitWidth: 0, count: 300) == Array(repeating: 0, count: 300))
    }

    @Test func mixedRunsAndZeroLengthRuns() throws {
        // zero-length RLE run, zero-length bit-packed run, RLE run of 3 x 2, bit-packed group.
        let data: [UInt8] = [0x00, 0x07, 0x01, 0x06, 0x02, 0x03, 0b1000_1000, 0b1100_0110, 0b1111_1010]
        #expect(try rleDecode(data, bitWidth: 3, count: 11) == [2, 2, 2, 0, 1, 2, 3, 4, 5, 6, 7])
    }

    @Test func hugeRLERunIsNotAllocated() throws {
        // Run of 2^31 - 1 copies of 1 (width 1): header varint of 0xFFFFFFFE.
        let data: [UInt8] = [0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]
        #expect(try rleDecode(data, bitWidth: 1, count: 1000) == Array(repeating: 1, count: 1000))
    }

    @Test func partialFinalBitPackedGroup() throws {
        // Header says 2 groups (16 values) of width 8, data holds only 10 bytes.
        let data: [UInt8] = [0x05] + (1...10).map { UInt8($0) }
        #expect(try rleDecode(data, bitWidth: 8, count: 10) == (1...10).map { UInt32($0) })
        expectEncodingError(["decoded 10 of 11 values"]) { _ = try rleDecode(data, bitWidth: 8, count: 11) }
        // Width 3: 2 bytes hold 5 whole values.
        let d3: [UInt8] = [0x03, 0b1000_1000, 0b1100_0110]
        #expect(try rleDecode(d3, bitWidth: 3, count: 5) == [0, 1, 2, 3, 4])
        expectEncodingError(["decoded 5 of 6"]) { _ = try rleDecode(d3, bitWidth: 3, count: 6) }
    }

    @Test func errors() throws {
        expectEncodingError(["bit width 254 is invalid (max 32)"]) { _ = try rleDecode([], bitWidth: 254, count: 0) }
        expectEncodingError(["bit width -1 is invalid"]) { _ = try rleDecode([], bitWidth: -1, count: 0) }
        expectEncodingError(["ends at byte 0 after 0 of 1 values"]) { _ = try rleDecode([], bitWidth: 3, count: 1) }
        expectEncodingError(["RLE run at byte 3 needs 2 value bytes, 1 remain (decoded 2 of 10 values)"]) {
            _ = try rleDecode([0x04, 0x01, 0x00, 0x10, 0x01], bitWidth: 9, count: 10)
        }
        expectEncodingError(["truncated"]) { _ = try rleDecode([0x80], bitWidth: 3, count: 1) }
        expectEncodingError(["overflows 32 bits"]) { _ = try rleDecode([0xFF, 0xFF, 0xFF, 0xFF, 0x7F], bitWidth: 3, count: 1) }
        expectEncodingError(["value 9, wider than bit width 3"]) { _ = try rleDecode([0x10, 0x09], bitWidth: 3, count: 1) }
        expectEncodingError(["ends at byte 2 after 8 of 9 values"]) { _ = try rleDecode([0x10, 0x01], bitWidth: 3, count: 9) }
    }

    @Test func valuesWiderThanTargetThrow() throws {
        let wide = rleEncode([1, 2, 300, 4, 5, 6, 7, 8], bitWidth: 9)
        try withData(wide) { raw in
            var d = try RLEHybridDecoder(raw, bitWidth: 9)
            var out = [UInt8](repeating: 0, count: 8)
            expectEncodingError(["index 2 does not fit in UInt8"]) { try d.decode(count: 8, into: &out) }
        }
        let rle = rleEncode(Array(repeating: 0xFFFF_FFFF, count: 9), bitWidth: 32)
        try withData(rle) { raw in
            var d = try RLEHybridDecoder(raw, bitWidth: 32)
            var out = [Int32](repeating: 0, count: 9)
            expectEncodingError(["RLE value 4294967295 does not fit in Int32"]) { try d.decode(count: 9, into: &out) }
        }
        // Width 32 values that do fit Int32 decode fine.
        let ok = rleEncode([0, 1, 0x7FFF_FFFF, 3, 4, 5, 6, 7, 8], bitWidth: 32)
        try withData(ok) { raw in
            var d = try RLEHybridDecoder(raw, bitWidth: 32)
            var out = [Int32](repeating: 0, count: 9)
            try d.decode(count: 9, into: &out)
            #expect(out == [0, 1, Int32.max, 3, 4, 5, 6, 7, 8])
        }
    }

    @Test(arguments: 0...32)
    func roundTrip(bitWidth: Int) throws {
        var rng = SeededRNG(seed: 0xC0FFEE &+ UInt64(bitWidth))
        let lengths = [0, 1, 7, 8, 9, 63, 64, 65, 500, 504, 1000, 4097, 10_000] + (0..<4).map { _ in Int(rng.next() % 10_001) }
        for length in lengths {
            for runHeavy in [false, true] {
                let values = randomValues(count: length, bitWidth: bitWidth, runHeavy: runHeavy, rng: &rng)
                let encoded = rleEncode(values, bitWidth: bitWidth)
                #expect(try rleDecode(encoded, bitWidth: bitWidth, count: length) == values,
                        "width \(bitWidth) length \(length) runHeavy \(runHeavy)")
                // Decode in random chunk sizes, checking bytesConsumed at the end.
                try withData(encoded) { raw in
                    var d = try RLEHybridDecoder(raw, bitWidth: bitWidth)
                    var out = [UInt32](repeating: 0, count: length)
                    var done = 0
                    try out.withUnsafeMutableBufferPointer { b in
                        while done < length {
                            let n = min(length - done, Int(rng.next() % 37) + 1)
                            try d.decode(count: n, into: b.baseAddress! + done)
                            done += n
                        }
                    }
                    #expect(out == values)
                    #expect(d.bytesConsumed == encoded.count)
                    #expect(d.valuesDecoded == length)
                }
                // Also into UInt64 and (when it fits) Int32.
                if length > 0 {
                    try withData(encoded) { raw in
                        var d = try RLEHybridDecoder(raw, bitWidth: bitWidth)
                        var out = [UInt64](repeating: 0, count: length)
                        try d.decode(count: length, into: &out)
                        #expect(out == values.map { UInt64($0) })
                    }
                }
            }
        }
    }

    @Test(arguments: [1, 3, 8, 13, 32])
    func truncatedStreamsThrowOrDecodeCorrectly(bitWidth: Int) throws {
        var rng = SeededRNG(seed: 77 &+ UInt64(bitWidth))
        for runHeavy in [false, true] {
            let values = randomValues(count: 300, bitWidth: bitWidth, runHeavy: runHeavy, rng: &rng)
            let encoded = rleEncode(values, bitWidth: bitWidth)
            for cut in 0..<encoded.count {
                let prefix = Array(encoded.prefix(cut))
                do {
                    let got = try rleDecode(prefix, bitWidth: bitWidth, count: values.count)
                    // Only possible when the cut falls in the zero padding of the final group.
                    #expect(got == values, "cut at \(cut) decoded wrong values")
                } catch is ParquetEncodingError {
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
        }
    }
}

@Suite struct EncodingTestsLevels {
    @Test(arguments: [0, 1, 2, 3, 7, 8, 100, 1000, 65535])
    func roundTripV1V2(maxLevel: Int) throws {
        var rng = SeededRNG(seed: UInt64(maxLevel) &+ 5)
        for count in [0, 1, 9, 100, 2000] {
            for runHeavy in [false, true] {
                var levels = [UInt16]()
                while levels.count < count {
                    let v = UInt16(rng.next() % UInt64(maxLevel + 1))
                    let rep = runHeavy ? Int(rng.next() % 30) + 1 : 1
                    for _ in 0..<min(rep, count - levels.count) { levels.append(v) }
                }
                let v1 = LevelEncoder.encodeV1(levels, maxLevel: maxLevel)
                let v2 = LevelEncoder.encodeV2(levels, maxLevel: maxLevel)
                var out = [UInt16](repeating: 9, count: count + 1)
                let trailer: [UInt8] = [0xAB, 0xCD] // page data that follows the levels
                let consumed = try withData(v1 + trailer) { raw in
                    try out.withUnsafeMutableBufferPointer { try LevelDecoder.decodeV1(raw, encoding: .rle, maxLevel: maxLevel, count: count, into: $0.baseAddress!) }
                }
                #expect(consumed == v1.count)
                #expect(Array(out.prefix(count)) == levels)
                out = [UInt16](repeating: 9, count: count + 1)
                try withData(v2) { raw in
                    try out.withUnsafeMutableBufferPointer { try LevelDecoder.decodeV2(raw, maxLevel: maxLevel, count: count, into: $0.baseAddress!) }
                }
                #expect(Array(out.prefix(count)) == levels)
                if maxLevel > 0 && maxLevel <= 1000 {
                    let bp = LevelEncoder.encodeBitPackedV1(levels, maxLevel: maxLevel)
                    out = [UInt16](repeating: 9, count: count + 1)
                    let c = try withData(bp + trailer) { raw in
                        try out.withUnsafeMutableBufferPointer { try LevelDecoder.decodeV1(raw, encoding: .bitPacked, maxLevel: maxLevel, count: count, into: $0.baseAddress!) }
                    }
                    #expect(c == bp.count)
                    #expect(Array(out.prefix(count)) == levels)
                }
            }
        }
    }

    /// Encodings.md: the deprecated BIT_PACKED encoding of 0...7 at width 3 is 00000101 00111001 01110111.
    @Test func specDeprecatedBitPackedExample() throws {
        let data: [UInt8] = [0b0000_0101, 0b0011_1001, 0b0111_0111]
        #expect(LevelEncoder.encodeBitPackedV1([0, 1, 2, 3, 4, 5, 6, 7], maxLevel: 7) == data)
        var out = [UInt16](repeating: 0, count: 8)
        let c = try withData(data) { try LevelDecoder.decodeV1($0, encoding: .bitPacked, maxLevel: 7, count: 8, into: &out) }
        #expect(c == 3)
        #expect(out == [0, 1, 2, 3, 4, 5, 6, 7])
        expectEncodingError(["need 3 bytes, 2 remain"]) {
            _ = try withData(Array(data.prefix(2))) { try LevelDecoder.decodeV1($0, encoding: .bitPacked, maxLevel: 7, count: 8, into: &out) }
        }
        expectEncodingError(["level 7 at index 7 exceeds max level 6"]) {
            _ = try withData(data) { try LevelDecoder.decodeV1($0, encoding: .bitPacked, maxLevel: 6, count: 8, into: &out) }
        }
    }

    @Test func levelErrors() throws {
        var out = [UInt16](repeating: 0, count: 20)
        // maxLevel 2 → width 2; an RLE run of value 3 is invalid.
        expectEncodingError(["level 3 at index 0 exceeds max level 2"]) {
            try withData([0x10, 0x03]) { try LevelDecoder.decodeV2($0, maxLevel: 2, count: 8, into: &out) }
        }
        // Bit-packed value 3 at index 5.
        let bp = rleEncode([0, 1, 2, 0, 1, 3, 0, 0], bitWidth: 2)
        expectEncodingError(["level 3 at index 5 exceeds max level 2"]) {
            try withData(bp) { try LevelDecoder.decodeV2($0, maxLevel: 2, count: 8, into: &out) }
        }
        expectEncodingError(["length 100 at byte 0 exceeds the 2 bytes"]) {
            _ = try withData([100, 0, 0, 0, 0x10, 0x01]) { try LevelDecoder.decodeV1($0, encoding: .rle, maxLevel: 1, count: 8, into: &out) }
        }
        expectEncodingError(["4-byte length prefix, 3 bytes remain"]) {
            _ = try withData([1, 0, 0]) { try LevelDecoder.decodeV1($0, encoding: .rle, maxLevel: 1, count: 8, into: &out) }
        }
        expectEncodingError(["unsupported level encoding 0"]) {
            _ = try withData([1, 0, 0, 0, 0]) { try LevelDecoder.decodeV1($0, encoding: .plain, maxLevel: 1, count: 8, into: &out) }
        }
        // The length prefix bounds the RLE data: runs past it are not read.
        expectEncodingError(["after 8 of 9"]) {
            _ = try withData([2, 0, 0, 0, 0x10, 0x01, 0x10, 0x01]) { try LevelDecoder.decodeV1($0, encoding: .rle, maxLevel: 1, count: 9, into: &out) }
        }
        // maxLevel 0: nothing stored, nothing consumed.
        let c = try withData([0xFF]) { try LevelDecoder.decodeV1($0, encoding: .rle, maxLevel: 0, count: 5, into: &out) }
        #expect(c == 0)
        #expect(out.prefix(5).allSatisfy { $0 == 0 })
    }
}

@Suite struct EncodingTestsDictionaryIndices {
    @Test(arguments: [1, 2, 3, 100, 1 << 16, 1 << 20])
    func roundTrip(dictionarySize: Int) throws {
        var rng = SeededRNG(seed: UInt64(dictionarySize))
        for count in [0, 1, 8, 100, 5000] {
            for runHeavy in [false, true] {
                var idx = [Int32]()
                while idx.count < count {
                    let v = Int32(rng.next() % UInt64(dictionarySize))
                    for _ in 0..<min(runHeavy ? Int(rng.next() % 20) + 1 : 1, count - idx.count) { idx.append(v) }
                }
                let enc = DictionaryIndexEncoder.encode(idx, dictionarySize: dictionarySize)
                if dictionarySize == 1 { #expect(enc.first == 0, "one-entry dictionary uses bit width 0") }
                let got = try withData(enc) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: count, dictionarySize: dictionarySize) }
                #expect(got == idx)
                if count > 0 {
                    var out = [Int32](repeating: -1, count: count)
                    let consumed = try withData(enc) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: count, dictionarySize: dictionarySize, into: &out) }
                    #expect(consumed == enc.count)
                    #expect(out == idx)
                }
            }
        }
    }

    @Test func errors() throws {
        // Width 0, RLE run of 8: all indices 0.
        #expect(try withData([0, 0x10]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 8, dictionarySize: 1) } == Array(repeating: 0, count: 8))
        expectEncodingError(["bit width 254 at byte 0 is invalid (max 32)"]) {
            _ = try withData([254, 0x10, 0x01]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 8, dictionarySize: 10) }
        }
        let enc = DictionaryIndexEncoder.encode([0, 1, 2, 3, 9, 5, 6, 7])
        expectEncodingError(["dictionary index 9 at position 4", "dictionary of 8 entries"]) {
            _ = try withData(enc) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 8, dictionarySize: 8) }
        }
        expectEncodingError(["dictionary index 0 at position 0", "dictionary of 0 entries"]) {
            _ = try withData([0, 0x10]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 8, dictionarySize: 0) }
        }
        expectEncodingError(["data is empty"]) {
            _ = try withData([]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 1, dictionarySize: 1) }
        }
        expectEncodingError(["after 8 of 9"]) {
            _ = try withData([0, 0x10]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 9, dictionarySize: 1) }
        }
        // Width 32 value beyond Int32 range.
        expectEncodingError(["does not fit in Int32"]) {
            _ = try withData([32, 0x10, 0xFF, 0xFF, 0xFF, 0xFF]) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 8, dictionarySize: Int(Int32.max)) }
        }
        // Truncations of a real stream never crash.
        var rng = SeededRNG(seed: 3)
        let idx = (0..<200).map { _ in Int32(rng.next() % 1000) }
        let full = DictionaryIndexEncoder.encode(idx)
        for cut in 0..<full.count {
            do {
                let got = try withData(Array(full.prefix(cut))) { try DictionaryIndexDecoder.decodeDictionaryIndices($0, count: 200, dictionarySize: 1000) }
                #expect(got == idx)
            } catch is ParquetEncodingError {}
        }
    }
}
