import Testing
import Compression
import TestSupport

/// Named test inputs: edge cases, repetitive, random and realistic data.
struct Sample: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    var testDescription: String { "\(name) (\(bytes.count) bytes)" }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRNG(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var v = rng.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
            i += 1
        }
    }
    return out
}

/// Text-like data built from a small vocabulary: compresses the way real
/// string columns do.
func textBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    let words = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "parquet", "column", "page", "row",
        "group", "snappy", "compression", "value", "null", "2024-01-15", "https://example.com/item/", "42",
        "lorem", "ipsum", "dolor", "sit", "amet", "consectetur",
    ].map { Array($0.utf8) }
    var rng = SeededRNG(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(count + 32)
    while out.count < count {
        out += words[Int(rng.next() % UInt64(words.count))]
        if rng.next() % 7 == 0 { out += Array(String(rng.next() % 100_000).utf8) }
        out.append(rng.next() % 11 == 0 ? 10 : 32)
    }
    return Array(out.prefix(count))
}

/// Little-endian int64 values with small increments, like a PLAIN-encoded
/// id or timestamp column.
func integerColumnBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRNG(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(count + 8)
    var value: Int64 = 1_700_000_000_000_000
    while out.count < count {
        value += Int64(rng.next() % 1000)
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }
    return Array(out.prefix(count))
}

/// A mix of the above, plus runs of a single byte.
func mixedBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRNG(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(count + 70_000)
    var part: UInt64 = 0
    while out.count < count {
        let n = Int(rng.next() % 60_000) + 1
        switch rng.next() % 4 {
        case 0: out += textBytes(n, seed: seed &+ part)
        case 1: out += integerColumnBytes(n, seed: seed &+ part)
        case 2: out += randomBytes(n, seed: seed &+ part)
        default: out += [UInt8](repeating: UInt8(truncatingIfNeeded: rng.next()), count: n)
        }
        part += 1
    }
    return Array(out.prefix(count))
}

let roundTripSamples: [Sample] = {
    var samples: [Sample] = [
        Sample(name: "empty", bytes: []),
        Sample(name: "one byte", bytes: [0x42]),
        Sample(name: "two bytes", bytes: [0, 255]),
        Sample(name: "short text", bytes: Array("hello, hello, hello parquet".utf8)),
        Sample(name: "zeros", bytes: [UInt8](repeating: 0, count: 100_000)),
        Sample(name: "abc repeated", bytes: Array(String(repeating: "abc", count: 20_000).utf8)),
        Sample(name: "random 1000", bytes: randomBytes(1000, seed: 1)),
        Sample(name: "random 64K", bytes: randomBytes(65_536, seed: 2)),
        Sample(name: "text", bytes: textBytes(200_000, seed: 3)),
        Sample(name: "int64 column", bytes: integerColumnBytes(160_000, seed: 4)),
        Sample(name: "mixed 1 MB", bytes: mixedBytes(1 << 20, seed: 5)),
        Sample(name: "random 1 MB", bytes: randomBytes(1 << 20, seed: 6)),
    ]
    // Sizes around Snappy's 64 KiB block and its 15-byte search margin.
    for size in [14, 15, 16, 17, 65_535, 65_536, 65_537, 131_073] {
        samples.append(Sample(name: "text \(size)", bytes: textBytes(size, seed: UInt64(size))))
    }
    // Many small random inputs.
    var rng = SeededRNG(seed: 99)
    for i in 0..<20 {
        let size = Int(rng.next() % 3000)
        let bytes = i % 2 == 0 ? textBytes(size, seed: UInt64(i)) : randomBytes(size, seed: UInt64(i))
        samples.append(Sample(name: "small #\(i)", bytes: bytes))
    }
    return samples
}()

/// Codecs that can be exercised on this machine (LZO never can).
let testableCodecs: [CompressionCodec] = CompressionCodec.allCases.filter { $0 != .lzo }

func compress(_ codec: CompressionCodec, _ bytes: [UInt8], level: Int? = nil) throws -> [UInt8] {
    try bytes.withUnsafeBytes { try Codecs.compress(codec, $0, level: level) }
}

/// Decompresses into a buffer of exactly `size` bytes.
func decompress(_ codec: CompressionCodec, _ bytes: [UInt8], size: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: size)
    let n = try bytes.withUnsafeBytes { input in
        try out.withUnsafeMutableBytes { try Codecs.decompress(codec, input, into: $0) }
    }
    #expect(n == size)
    return out
}

/// Decompresses into the first `size` bytes of a larger buffer whose tail is
/// filled with a sentinel, and checks the tail is untouched whatever happens.
/// Returns the error thrown, if any.
func decompressGuarded(_ codec: CompressionCodec, _ bytes: [UInt8], size: Int) -> (
    output: [UInt8], error: (any Error)?
) {
    let guardBytes = 4096
    var out = [UInt8](repeating: 0xA5, count: size + guardBytes)
    var thrown: (any Error)?
    bytes.withUnsafeBytes { input in
        out.withUnsafeMutableBytes { all in
            let bounded = UnsafeMutableRawBufferPointer(rebasing: all[0..<size])
            do {
                let n = try Codecs.decompress(codec, input, into: bounded)
                #expect(n == size)
            } catch {
                thrown = error
            }
        }
    }
    #expect(out[size...].allSatisfy { $0 == 0xA5 }, "\(codec.name) wrote past the output bound")
    return (Array(out[..<size]), thrown)
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(s.utf8).filter { $0 != 32 }[...]
    while chars.count >= 2 {
        let pair = String(decoding: chars.prefix(2), as: UTF8.self)
        out.append(UInt8(pair, radix: 16)!)
        chars = chars.dropFirst(2)
    }
    return out
}
