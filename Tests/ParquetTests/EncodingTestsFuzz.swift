import TestSupport
import Testing
@testable import Parquet

/// Throws garbage and mutated valid streams at every decoder: each call must either succeed or throw
/// an `EncodingError` — never crash, hang or read out of bounds (run under `--sanitize=address` to check
/// the last).
@Suite struct EncodingTestsFuzz {
    static func seeds(_ rng: inout SeededRNG) -> [[UInt8]] {
        let strings = randomStrings(count: 40, rng: &rng)
        let ints = (0..<70).map { _ in Int64(bitPattern: rng.next() >> UInt64(rng.next() % 64)) }
        let small = (0..<70).map { _ in UInt32(rng.next() % 5) }
        return [
            rleEncode(small, bitWidth: 3),
            rleEncode(randomValues(count: 90, bitWidth: 11, runHeavy: true, rng: &rng), bitWidth: 11),
            LevelEncoder.encodeV1(small.map { UInt16($0) }, maxLevel: 4),
            DictionaryIndexEncoder.encode(small.map { Int32($0) }),
            DeltaBinaryPackedEncoder.encode(ints),
            DeltaBinaryPackedEncoder.encode(ints.map { Int32(truncatingIfNeeded: $0) }),
            DeltaByteArrayEncoder.encodeDelta(strings),
            DeltaByteArrayEncoder.encodeDeltaLength(strings),
            PlainEncoder.encode(strings),
        ]
    }

    static func mutate(_ input: [UInt8], _ rng: inout SeededRNG) -> [UInt8] {
        var d = input
        switch rng.next() % 4 {
        case 0:
            for _ in 0..<Int(rng.next() % 4) + 1 where !d.isEmpty {
                d[Int(rng.next() % UInt64(d.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 1:
            d = Array(d.prefix(Int(rng.next() % UInt64(d.count + 1))))
        case 2:
            if !d.isEmpty { d[Int(rng.next() % UInt64(d.count))] ^= UInt8(1) << UInt8(rng.next() % 8) }
        default:
            d = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return d
    }

    static func attempt(_ body: () throws -> Void) {
        do { try body() } catch is ParquetEncodingError {} catch { Issue.record("unexpected error \(error)") }
    }

    static func runAll(_ data: [UInt8], count: Int, rng: inout SeededRNG) {
        let w = Int(rng.next() % 34)
        let maxLevel = Int(rng.next() % 9)
        withData(data) { raw in
            var u32 = [UInt32](repeating: 0, count: count + 1)
            var u16 = [UInt16](repeating: 0, count: count + 1)
            var i32 = [Int32](repeating: 0, count: count + 1)
            var i64 = [Int64](repeating: 0, count: count + 1)
            var u8 = [UInt8](repeating: 0, count: count + 1)
            attempt {
                var d = try RLEHybridDecoder(raw, bitWidth: w)
                try d.decode(count: count / 2, into: &u32)
                try d.decode(count: count - count / 2, into: &u8)
            }
            attempt { var d = try RLEHybridDecoder(raw, bitWidth: w); try d.decode(count: count, into: &i32) }
            attempt { var d = try RLEHybridDecoder(raw, bitWidth: w); try d.decode(count: count, into: &u16) }
            attempt { _ = try LevelDecoder.decodeV1(raw, encoding: .rle, maxLevel: maxLevel, count: count, into: &u16) }
            attempt { _ = try LevelDecoder.decodeV1(raw, encoding: .bitPacked, maxLevel: maxLevel, count: count, into: &u16) }
            attempt { try LevelDecoder.decodeV2(raw, maxLevel: maxLevel, count: count, into: &u16) }
            attempt { try DictionaryIndexDecoder.decodeDictionaryIndices(raw, count: count, dictionarySize: Int(rng.next() % 20), into: &i32) }
            attempt { _ = try DeltaBinaryPackedDecoder.decodeInt32(raw, count: count) }
            attempt { _ = try DeltaBinaryPackedDecoder.decodeInt64(raw, maxCount: 500) }
            attempt { _ = try DeltaBinaryPackedDecoder.decode(raw, count: count, into: &i64) }
            attempt { _ = try DeltaByteArrayDecoder.decodeDeltaLength(raw, count: count) }
            attempt { _ = try DeltaByteArrayDecoder.decodeDelta(raw, count: count, maxOutputBytes: 1 << 24) }
            attempt { _ = try DeltaByteArrayDecoder.decodeDeltaFixed(raw, count: count, width: Int(rng.next() % 5)) }
            attempt { _ = try PlainDecoder.decodeByteArrays(raw, count: count) }
            attempt { _ = try PlainDecoder.decodeByteArrays(raw, count: max(0, raw.count / 4 - Int(rng.next() % 4))) }
            attempt { _ = try PlainDecoder.decodeBooleans(raw, count: raw.count * 8 - Int(rng.next() % 9)) }
            attempt { _ = try PlainDecoder.decodeBooleans(raw, count: count) }
            attempt { _ = try PlainDecoder.decodeInt96(raw, count: count) }
            attempt { _ = try PlainDecoder.decodeFixedByteArrays(raw, count: count, width: Int(rng.next() % 5)) }
            attempt { _ = try ByteStreamSplit.decodeFixedByteArrays(raw, count: count, width: Int(rng.next() % 5)) }
            attempt { _ = try ByteStreamSplit.decodeDouble(raw, count: count) }
        }
    }

    @Test(arguments: 0..<8)
    func fuzz(shard: Int) {
        var rng = SeededRNG(seed: 0xF00D &+ UInt64(shard))
        let base = Self.seeds(&rng)
        for i in 0..<1500 {
            let data = Self.mutate(base[i % base.count], &rng)
            let count = [0, 1, 5, 40, 70, 90, Int(rng.next() % 300)][Int(rng.next() % 7)]
            Self.runAll(data, count: count, rng: &rng)
        }
    }
}
