import Compression
import TestSupport
import Testing

@Suite struct CodecBasics {
    @Test func rawValuesAndNamesMatchParquet() {
        let expected: [(CompressionCodec, Int32, String)] = [
            (.uncompressed, 0, "UNCOMPRESSED"), (.snappy, 1, "SNAPPY"), (.gzip, 2, "GZIP"), (.lzo, 3, "LZO"),
            (.brotli, 4, "BROTLI"), (.lz4, 5, "LZ4"), (.zstd, 6, "ZSTD"), (.lz4Raw, 7, "LZ4_RAW"),
        ]
        #expect(CompressionCodec.allCases.count == expected.count)
        for (codec, raw, name) in expected {
            #expect(codec.rawValue == raw)
            #expect(codec.name == name)
            #expect(CompressionCodec(rawValue: raw) == codec)
        }
    }

    @Test func availability() {
        #expect(Codecs.isAvailable(.uncompressed))
        #expect(Codecs.isAvailable(.snappy))
        #expect(Codecs.isAvailable(.gzip))
        #expect(!Codecs.isAvailable(.lzo))
        // The development machines and CI have these libraries; report what we found.
        for codec in [CompressionCodec.zstd, .lz4, .lz4Raw, .brotli] {
            print("\(codec.name) available: \(Codecs.isAvailable(codec))")
        }
        #expect(Codecs.isAvailable(.lz4) == Codecs.isAvailable(.lz4Raw))
    }

    @Test func crc32() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
        #expect(Array("The quick brown fox jumps over the lazy dog".utf8).withUnsafeBytes { CRC32.checksum($0) }
            == 0x414F_A339)
        let data = mixedBytes(100_000, seed: 7)
        let whole = data.withUnsafeBytes { CRC32.checksum($0) }
        let first = data[..<33_333].withUnsafeBytes { CRC32.checksum($0) }
        let both = data[33_333...].withUnsafeBytes { CRC32.update(first, $0) }
        #expect(whole == both)
    }

    @Test func lzoIsRejectedClearly() throws {
        let error = #expect(throws: CompressionError.self) { try compress(.lzo, [1, 2, 3]) }
        #expect(error?.message.contains("LZO is not supported") == true)
        let error2 = #expect(throws: CompressionError.self) { try decompress(.lzo, [1, 2, 3], size: 3) }
        #expect(error2?.message.contains("LZO is not supported") == true)
    }

    @Test(arguments: CompressionCodec.allCases)
    func emptyPageNeedsNoLibrary(codec: CompressionCodec) throws {
        var empty: [UInt8] = []
        let n = try [UInt8]().withUnsafeBytes { input in
            try empty.withUnsafeMutableBytes { try Codecs.decompress(codec, input, into: $0) }
        }
        #expect(n == 0)
    }

    @Test func uncompressedSizeMismatchThrows() throws {
        #expect(try decompress(.uncompressed, [1, 2, 3], size: 3) == [1, 2, 3])
        let error = #expect(throws: CompressionError.self) { try decompress(.uncompressed, [1, 2, 3], size: 4) }
        #expect(error?.message.contains("4") == true)
    }

    @Test func arrayConvenience() throws {
        let data = textBytes(10_000, seed: 11)
        let c = try compress(.snappy, data)
        let back = try c.withUnsafeBytes { try Codecs.decompress(.snappy, $0, uncompressedSize: data.count) }
        #expect(back == data)
    }
}

@Suite struct RoundTrips {
    @Test(arguments: testableCodecs)
    func roundTripAllSamples(codec: CompressionCodec) throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name): library not installed")
        for sample in roundTripSamples {
            let data = sample.bytes
            let compressed = try compress(codec, data)
            let back = try decompress(codec, compressed, size: data.count)
            #expect(back == data, "\(codec.name) round trip of \(sample.testDescription)")
            // One byte short or one byte too many must both fail.
            if data.count > 0 {
                let (_, error) = decompressGuarded(codec, compressed, size: data.count - 1)
                #expect(error != nil, "\(codec.name): \(sample.testDescription) into a buffer 1 byte short")
            }
            let (_, error) = decompressGuarded(codec, compressed, size: data.count + 1)
            #expect(error != nil, "\(codec.name): \(sample.testDescription) into a buffer 1 byte too big")
        }
    }

    @Test(arguments: [(CompressionCodec.gzip, [1, 9, -1]), (.zstd, [1, 10, 19, -5]), (.brotli, [0, 5, 11])])
    func levels(codec: CompressionCodec, levels: [Int]) throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name): library not installed")
        let data = mixedBytes(200_000, seed: 12)
        for level in levels {
            let c = try compress(codec, data, level: level)
            #expect(try decompress(codec, c, size: data.count) == data, "\(codec.name) level \(level)")
        }
    }

    @Test func invalidLevelsThrow() {
        #expect(throws: CompressionError.self) { try compress(.gzip, [1], level: 10) }
        if Codecs.isAvailable(.brotli) {
            #expect(throws: CompressionError.self) { try compress(.brotli, [1], level: 12) }
        }
    }

    @Test func repetitiveDataCompresses() throws {
        let data = [UInt8](repeating: 7, count: 1 << 20)
        for codec in testableCodecs where codec != .uncompressed && Codecs.isAvailable(codec) {
            let c = try compress(codec, data)
            #expect(c.count < data.count / 20, "\(codec.name) compressed 1 MB of one byte to \(c.count) bytes")
        }
    }

    @Test func concurrentUse() async throws {
        let data = mixedBytes(300_000, seed: 13)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for codec in testableCodecs where Codecs.isAvailable(codec) {
                for _ in 0..<4 {
                    group.addTask {
                        let c = try compress(codec, data)
                        let back = try decompress(codec, c, size: data.count)
                        #expect(back == data)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

@Suite struct OutputBounds {
    /// Highly compressible data decompressed into a much smaller buffer must
    /// throw without writing past the buffer.
    @Test(arguments: testableCodecs.filter { $0 != .uncompressed })
    func bombStopsAtOutputBound(codec: CompressionCodec) throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name): library not installed")
        let data = [UInt8](repeating: 0, count: 4 << 20)
        let compressed = try compress(codec, data)
        for size in [0, 1, 1000, 65_536, (4 << 20) - 1] {
            // decompressGuarded also checks nothing was written past `size` bytes.
            let (_, error) = decompressGuarded(codec, compressed, size: size)
            let message = (error as? CompressionError)?.message ?? ""
            #expect(error != nil, "\(codec.name) into \(size) bytes")
            #expect(!message.isEmpty)
        }
    }

    @Test func tooLittleOutputSaysHowMuch() throws {
        let data = textBytes(5000, seed: 14)
        for codec in [CompressionCodec.gzip, .zstd, .lz4Raw, .brotli] where Codecs.isAvailable(codec) {
            let c = try compress(codec, data)
            let error = #expect(throws: CompressionError.self) { try decompress(codec, c, size: 6000) }
            #expect(error?.message.contains("6000") == true, "\(codec.name): \(error?.message ?? "")")
        }
    }

    @Test(arguments: testableCodecs.filter { $0 != .uncompressed })
    func truncatedInputThrows(codec: CompressionCodec) throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name): library not installed")
        let data = textBytes(50_000, seed: 15)
        let c = try compress(codec, data)
        for cut in [1, 2, 5, c.count / 2, c.count - 1] where cut < c.count {
            let (_, error) = decompressGuarded(codec, Array(c[..<cut]), size: data.count)
            #expect(error != nil, "\(codec.name) truncated to \(cut) of \(c.count) bytes")
        }
    }

    /// Random byte flips must never crash or write out of bounds (they may
    /// occasionally still decode, e.g. inside a literal).
    @Test(arguments: testableCodecs.filter { $0 != .uncompressed })
    func corruptedInputNeverCrashes(codec: CompressionCodec) throws {
        try skipCase(unless: Codecs.isAvailable(codec), "\(codec.name): library not installed")
        let data = mixedBytes(20_000, seed: 16)
        let c = try compress(codec, data)
        var rng = SeededRNG(seed: 17)
        for _ in 0..<300 {
            var bad = c
            for _ in 0..<Int(rng.next() % 4 + 1) {
                bad[Int(rng.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = decompressGuarded(codec, bad, size: data.count)
        }
        // Garbage of every small length.
        for n in 0..<64 {
            _ = decompressGuarded(codec, randomBytes(n, seed: UInt64(n)), size: 100)
        }
    }
}

@Suite struct GzipTests {
    @Test func concatenatedMembers() throws {
        let a = textBytes(30_000, seed: 20)
        let b = randomBytes(5000, seed: 21)
        let c: [UInt8] = []
        let d = Array("tail".utf8)
        let joined = try compress(.gzip, a) + compress(.gzip, b) + compress(.gzip, c) + compress(.gzip, d)
        #expect(try decompress(.gzip, joined, size: a.count + b.count + d.count) == a + b + d)
        // A missing member is reported as too little output.
        let error = #expect(throws: CompressionError.self) {
            try decompress(.gzip, joined, size: a.count + b.count + d.count + 1)
        }
        #expect(error != nil)
        // Too much output across members is caught too.
        #expect(throws: CompressionError.self) { try decompress(.gzip, joined, size: a.count + b.count) }
    }

    @Test func zlibHeaderAccepted() throws {
        // zlib.compress(b"hello")
        let z = hex("789ccb48cdc9c90700062c0215")
        #expect(try decompress(.gzip, z, size: 5) == Array("hello".utf8))
    }

    @Test func gzipOfEmptyInput() throws {
        let c = try compress(.gzip, [])
        #expect(c.count > 10)
        #expect(c[0] == 0x1F && c[1] == 0x8B)
        #expect(try decompress(.gzip, c, size: 0) == [])
    }

    @Test func trailingZeroPaddingTolerated() throws {
        let a = textBytes(1000, seed: 22)
        let c = try compress(.gzip, a) + [0, 0, 0, 0]
        #expect(try decompress(.gzip, c, size: a.count) == a)
    }

    @Test func trailingGarbageRejected() throws {
        let a = textBytes(1000, seed: 23)
        let c = try compress(.gzip, a) + [1, 2, 3, 4]
        #expect(throws: CompressionError.self) { try decompress(.gzip, c, size: a.count) }
    }
}

@Suite(.enabled(if: Codecs.isAvailable(.zstd), "libzstd.so.1 not installed (apt install libzstd1)")) struct ZstdTests {
    @Test func multipleAndEmptyFrames() throws {
        let a = textBytes(40_000, seed: 30)
        let b = integerColumnBytes(8000, seed: 31)
        let empty = try compress(.zstd, [])
        #expect(try decompress(.zstd, empty, size: 0) == [])
        let joined = try empty + compress(.zstd, a) + empty + compress(.zstd, b, level: 9) + empty
        #expect(try decompress(.zstd, joined, size: a.count + b.count) == a + b)
        #expect(throws: CompressionError.self) { try decompress(.zstd, joined, size: a.count + b.count - 1) }
        #expect(throws: CompressionError.self) { try decompress(.zstd, joined, size: a.count + b.count + 1) }
    }

    @Test func skippableFrameIgnored() throws {
        let a = textBytes(1000, seed: 32)
        // Skippable frame: magic 0x184D2A50 (LE), 4-byte LE length, payload.
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]
        let joined = try skippable + compress(.zstd, a)
        #expect(try decompress(.zstd, joined, size: a.count) == a)
    }
}

@Suite(.enabled(if: Codecs.isAvailable(.lz4), "liblz4.so.1 not installed (apt install liblz4-1)")) struct LZ4Tests {
    @Test func hadoopFramingLayout() throws {
        let a = textBytes(10_000, seed: 40)
        let c = try compress(.lz4, a)
        let raw = try compress(.lz4Raw, a)
        #expect(Array(c[0..<4]) == [0, 0, 0x27, 0x10])  // 10000 big-endian
        let compressedLength = Int(c[4]) << 24 | Int(c[5]) << 16 | Int(c[6]) << 8 | Int(c[7])
        #expect(compressedLength == c.count - 8)
        #expect(Array(c[8...]) == raw)
    }

    @Test func multipleHadoopBlocks() throws {
        let a = textBytes(70_000, seed: 41)
        let b = randomBytes(3000, seed: 42)
        let empty: [UInt8] = []
        let joined = try compress(.lz4, a) + compress(.lz4, empty) + compress(.lz4, b)
        #expect(try decompress(.lz4, joined, size: a.count + b.count) == a + b)
    }

    @Test func hadoopChunkWithSeveralSubBlocks() throws {
        // Hadoop's BlockCompressorStream: one uncompressed length, then several
        // [compressed length][block] pairs.
        let a = textBytes(5000, seed: 43)
        let b = textBytes(7000, seed: 44)
        let ra = try compress(.lz4Raw, a)
        let rb = try compress(.lz4Raw, b)
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        let chunk = be32(a.count + b.count) + be32(ra.count) + ra + be32(rb.count) + rb
        #expect(try decompress(.lz4, chunk, size: a.count + b.count) == a + b)
    }

    @Test func rawBlockFallback() throws {
        for data in [textBytes(10_000, seed: 45), randomBytes(100, seed: 46), [1]] {
            let raw = try compress(.lz4Raw, data)
            #expect(try decompress(.lz4, raw, size: data.count) == data)
        }
    }

    @Test func frameFallback() throws {
        // lz4.frame.compress(b"hello hello hello hello frame", content_checksum=False)
        let frame = hex("04224d1868401d000000000000000e0f0000006e68656c6c6f200600506672616d6500000000")
        let text = Array("hello hello hello hello frame".utf8)
        #expect(try decompress(.lz4, frame, size: text.count) == text)
        #expect(throws: CompressionError.self) { try decompress(.lz4, frame, size: text.count - 1) }
        #expect(throws: CompressionError.self) { try decompress(.lz4, frame, size: text.count + 1) }
        // An empty frame.
        #expect(try decompress(.lz4, hex("04224d1860408200000000"), size: 0) == [])
    }

    @Test func garbageIsRejected() throws {
        let error = #expect(throws: CompressionError.self) {
            try decompress(.lz4, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], size: 100)
        }
        #expect(error?.message.contains("LZ4") == true)
    }
}

@Suite(.enabled(if: Codecs.isAvailable(.brotli), "libbrotli not installed (apt install libbrotli1)")) struct BrotliTests {
    @Test func decodesReferenceStream() throws {
        // brotli.compress(b"hello hello hello") from the reference encoder.
        let c = hex("1b1000f88d946ede445586966c206f014f1c601c")
        #expect(try decompress(.brotli, c, size: 17) == Array("hello hello hello".utf8))
        #expect(throws: CompressionError.self) { try decompress(.brotli, c, size: 16) }
        #expect(throws: CompressionError.self) { try decompress(.brotli, c, size: 18) }
    }
}

@Suite struct MissingLibraries {
    /// When a codec's library is missing (run the suite with the library
    /// hidden to exercise this), both directions throw an error that names the
    /// library file and the Debian package to install.
    @Test(arguments: [
        (CompressionCodec.zstd, "libzstd.so.1", "libzstd1"), (.lz4, "liblz4.so.1", "liblz4-1"),
        (.lz4Raw, "liblz4.so.1", "liblz4-1"), (.brotli, "libbrotli", "libbrotli1"),
    ])
    func missingLibraryErrorNamesPackage(codec: CompressionCodec, file: String, package: String) throws {
        let data = Array("some data some data".utf8)
        if Codecs.isAvailable(codec) {
            _ = try compress(codec, data)
            return
        }
        let e1 = #expect(throws: CompressionError.self) { try compress(codec, data) }
        print("\(codec.name) is not available on this machine: \(e1?.message ?? "")")
        let e2 = #expect(throws: CompressionError.self) { try decompress(codec, [1, 2, 3, 4, 5, 6, 7, 8, 9], size: 19) }
        for message in [e1?.message, e2?.message] {
            #expect(message?.contains(file) == true, "\(message ?? "")")
            #expect(message?.contains(package) == true, "\(message ?? "")")
        }
    }
}
