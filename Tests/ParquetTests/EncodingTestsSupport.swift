import Testing
import TestSupport
@testable import Parquet

typealias ParquetEncodingError = Parquet.EncodingError

/// Runs `body` with a copy of `bytes` in an exactly-sized allocation (so that the address sanitizer
/// catches any read past the end).
func withData<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { buf.deallocate() }
    if !bytes.isEmpty { buf.copyBytes(from: bytes) }
    return try body(UnsafeRawBufferPointer(buf))
}

/// Decodes `count` values of the RLE/bit-packed hybrid into UInt32s.
func rleDecode(_ bytes: [UInt8], bitWidth: Int, count: Int) throws -> [UInt32] {
    try withData(bytes) { raw in
        var dec = try RLEHybridDecoder(raw, bitWidth: bitWidth)
        var out = [UInt32](repeating: 0xDEAD, count: count)
        try out.withUnsafeMutableBufferPointer { b in
            if count > 0 { try dec.decode(count: count, into: b.baseAddress!) }
        }
        return out
    }
}

func rleEncode(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
    var enc = RLEHybridEncoder(bitWidth: bitWidth)
    for v in values { enc.append(v) }
    return enc.finish()
}

/// Random values for `bitWidth` either uniformly random or run-heavy.
func randomValues(count: Int, bitWidth: Int, runHeavy: Bool, rng: inout SeededRNG) -> [UInt32] {
    let mask: UInt64 = bitWidth == 0 ? 0 : (bitWidth >= 32 ? 0xFFFF_FFFF : (1 << UInt64(bitWidth)) - 1)
    var out = [UInt32]()
    out.reserveCapacity(count)
    while out.count < count {
        let v = UInt32(rng.next() & mask)
        if runHeavy {
            let len = Int(rng.next() % 40) + 1
            for _ in 0..<min(len, count - out.count) { out.append(v) }
        } else {
            out.append(v)
        }
    }
    return out
}

/// Random byte strings sharing prefixes, including empty ones.
func randomStrings(count: Int, rng: inout SeededRNG) -> ByteArrays {
    var out = ByteArrays()
    var prev: [UInt8] = []
    for _ in 0..<count {
        var s: [UInt8]
        switch rng.next() % 5 {
        case 0: s = []
        case 1, 2:
            let keep = prev.isEmpty ? 0 : Int(rng.next() % UInt64(prev.count + 1))
            s = Array(prev.prefix(keep))
            for _ in 0..<Int(rng.next() % 6) { s.append(UInt8(truncatingIfNeeded: rng.next() % 4 + 97)) }
        default:
            s = (0..<Int(rng.next() % 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        out.append(s)
        prev = s
    }
    return out
}

func arrays(_ b: ByteArrays) -> [[UInt8]] {
    (0..<b.count).map { Array(b[$0]) }
}

func byteArrays(_ list: [[UInt8]]) -> ByteArrays {
    var b = ByteArrays()
    for s in list { b.append(s) }
    return b
}

/// Asserts that `body` throws an `EncodingError` whose message contains every fragment.
func expectEncodingError(_ fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
                         _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an EncodingError", sourceLocation: sourceLocation)
    } catch let e as ParquetEncodingError {
        for f in fragments where !e.message.contains(f) {
            Issue.record("error message \"\(e.message)\" lacks \"\(f)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

/// `EncodingError` must resolve to Parquet's type (shadowing Swift's Codable `EncodingError`) in client code.
@Test func encodingErrorNameResolvesToParquet() {
    let e: Parquet.EncodingError = EncodingError("bit width 254 is invalid (max 32)")
    #expect(e.description == "bit width 254 is invalid (max 32)")
    #expect("\(e)" == e.message)
}
