import Compression
import TestSupport
import Testing

/// A deliberately simple, bounds-checked Snappy decoder written straight from
/// the format description, used as an oracle. Returns nil for invalid input.
func referenceSnappyDecode(_ s: [UInt8]) -> [UInt8]? {
    var i = 0
    var declared = 0
    var shift = 0
    while true {
        guard i < s.count, shift < 35 else { return nil }
        let b = s[i]
        i += 1
        declared |= Int(b & 0x7F) << shift
        if b < 0x80 { break }
        shift += 7
    }
    guard declared <= Int(UInt32.max) else { return nil }
    var out: [UInt8] = []
    while i < s.count {
        let tag = Int(s[i])
        i += 1
        var length: Int
        var offset: Int
        switch tag & 3 {
        case 0:
            length = tag >> 2
            if length >= 60 {
                let extra = length - 59
                guard i + extra <= s.count else { return nil }
                length = 0
                for k in 0..<extra { length |= Int(s[i + k]) << (8 * k) }
                i += extra
            }
            length += 1
            guard i + length <= s.count, out.count + length <= declared else { return nil }
            out += s[i..<(i + length)]
            i += length
            continue
        case 1:
            guard i + 1 <= s.count else { return nil }
            length = 4 + (tag >> 2) & 7
            offset = (tag >> 5) << 8 | Int(s[i])
            i += 1
        case 2:
            guard i + 2 <= s.count else { return nil }
            length = 1 + tag >> 2
            offset = Int(s[i]) | Int(s[i + 1]) << 8
            i += 2
        default:
            guard i + 4 <= s.count else { return nil }
            length = 1 + tag >> 2
            offset = Int(s[i]) | Int(s[i + 1]) << 8 | Int(s[i + 2]) << 16 | Int(s[i + 3]) << 24
            i += 4
        }
        guard offset > 0, offset <= out.count, out.count + length <= declared else { return nil }
        for _ in 0..<length { out.append(out[out.count - offset]) }
    }
    return out.count == declared ? out : nil
}

func varint(_ v: Int) -> [UInt8] {
    var v = v
    var out: [UInt8] = []
    while v >= 0x80 {
        out.append(UInt8(v & 0x7F) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
    return out
}

/// Builds Snappy streams element by element, tracking the expected output.
struct SnappyStreamBuilder {
    var elements: [UInt8] = []
    var expected: [UInt8] = []

    /// A literal; `extraBytes` forces a length encoding (0 = in the tag).
    mutating func literal(_ bytes: [UInt8], extraBytes: Int? = nil) {
        let n = bytes.count - 1
        let extra = extraBytes ?? (n < 60 ? 0 : n < 256 ? 1 : n < 65_536 ? 2 : n < 1 << 24 ? 3 : 4)
        if extra == 0 {
            elements.append(UInt8(n << 2))
        } else {
            elements.append(UInt8((59 + extra) << 2))
            for k in 0..<extra { elements.append(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        }
        elements += bytes
        expected += bytes
    }

    /// A copy element of the given kind (1, 2 or 4 offset bytes).
    mutating func copy(offset: Int, length: Int, kind: Int) {
        switch kind {
        case 1:
            precondition((4...11).contains(length) && offset < 2048)
            elements.append(UInt8(1 | (length - 4) << 2 | (offset >> 8) << 5))
            elements.append(UInt8(offset & 255))
        case 2:
            precondition((1...64).contains(length) && offset < 65_536)
            elements += [UInt8(2 | (length - 1) << 2), UInt8(offset & 255), UInt8(offset >> 8)]
        default:
            precondition((1...64).contains(length))
            elements.append(UInt8(3 | (length - 1) << 2))
            for k in 0..<4 { elements.append(UInt8(truncatingIfNeeded: offset >> (8 * k))) }
        }
        for _ in 0..<length { expected.append(expected[expected.count - offset]) }
    }

    var stream: [UInt8] { varint(expected.count) + elements }
}

/// A random valid stream mixing every element kind, with many overlapping copies.
func randomSnappyStream(seed: UInt64, elements: Int) -> SnappyStreamBuilder {
    var rng = SeededRNG(seed: seed)
    var b = SnappyStreamBuilder()
    b.literal(randomBytes(Int(rng.next() % 20) + 1, seed: rng.next()))
    for _ in 0..<elements {
        let r = rng.next() % 10
        if r < 3 {
            let n: Int
            switch rng.next() % 4 {
            case 0: n = Int(rng.next() % 16) + 1
            case 1: n = Int(rng.next() % 64) + 1
            case 2: n = Int(rng.next() % 400) + 1
            default: n = Int(rng.next() % 70_000) + 1
            }
            // Sometimes use a longer length encoding than needed (still valid).
            let minimal = n - 1 < 60 ? 0 : n - 1 < 256 ? 1 : n - 1 < 65_536 ? 2 : 3
            let extra = rng.next() % 3 == 0 ? min(4, minimal + Int(rng.next() % 2)) : minimal
            b.literal(randomBytes(n, seed: rng.next()), extraBytes: max(extra, minimal == 0 ? 0 : minimal))
        } else {
            let produced = b.expected.count
            let offset: Int
            if rng.next() % 2 == 0 {
                offset = Int(rng.next() % UInt64(min(produced, 9))) + 1  // tiny: overlapping patterns
            } else {
                offset = Int(rng.next() % UInt64(min(produced, 70_000))) + 1
            }
            var kinds = [4]
            if offset < 65_536 { kinds.append(2) }
            let length: Int
            let kind: Int
            if offset < 2048 && rng.next() % 3 == 0 {
                kind = 1
                length = Int(rng.next() % 8) + 4
            } else {
                kind = kinds[Int(rng.next() % UInt64(kinds.count))]
                length = Int(rng.next() % 64) + 1
            }
            b.copy(offset: offset, length: length, kind: kind)
        }
    }
    return b
}

func snappyDecode(_ stream: [UInt8], size: Int) throws -> [UInt8] {
    try decompress(.snappy, stream, size: size)
}

@Suite struct SnappyDecoding {
    @Test func literalOnly() throws {
        #expect(try snappyDecode([0x05, 0x10] + Array("hello".utf8), size: 5) == Array("hello".utf8))
    }

    @Test func emptyStream() throws {
        #expect(try snappyDecode([0x00], size: 0) == [])
        #expect(throws: CompressionError.self) { try snappyDecode([0x00, 0x00], size: 0) }
    }

    @Test func overlappingCopy() throws {
        // "ab" then copy-1 offset 2 length 10: "abababababab".
        #expect(try snappyDecode([0x0C, 0x04, 0x61, 0x62, 0x19, 0x02], size: 12) == Array("abababababab".utf8))
        // "a" then copy-2 offset 1 length 64: 65 × "a".
        #expect(try snappyDecode([65, 0x00, 0x61, 0xFE, 0x01, 0x00], size: 65) == [UInt8](repeating: 0x61, count: 65))
    }

    @Test func everyOffsetAndLengthWithRoomAfter() throws {
        // Overlapping and non-overlapping copies for offsets 1...20 and lengths
        // 1...64, followed by a literal so the fast path (room past the copy) is used,
        // and at the very end of the output so the careful path is used.
        for offset in 1...20 {
            for length in 1...64 {
                for atEnd in [false, true] {
                    var b = SnappyStreamBuilder()
                    b.literal(Array(randomBytes(offset + 3, seed: UInt64(offset))))
                    b.copy(offset: offset, length: length, kind: 2)
                    if !atEnd { b.literal(Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)) }
                    let out = try snappyDecode(b.stream, size: b.expected.count)
                    #expect(out == b.expected, "offset \(offset) length \(length) atEnd \(atEnd)")
                }
            }
        }
    }

    @Test func allElementKinds() throws {
        var b = SnappyStreamBuilder()
        b.literal(Array("The quick brown fox".utf8))
        b.copy(offset: 4, length: 7, kind: 1)
        b.copy(offset: 10, length: 30, kind: 2)
        b.copy(offset: 3, length: 50, kind: 4)
        b.literal(randomBytes(100, seed: 1))  // 1 extra length byte
        b.literal(randomBytes(300, seed: 2))  // 2 extra length bytes
        b.literal(randomBytes(5, seed: 3), extraBytes: 3)  // non-minimal encodings are valid
        b.literal(randomBytes(7, seed: 4), extraBytes: 4)
        b.copy(offset: 400, length: 64, kind: 4)
        b.copy(offset: 1, length: 64, kind: 2)
        b.copy(offset: 600, length: 11, kind: 1)
        #expect(referenceSnappyDecode(b.stream) == b.expected)
        #expect(try snappyDecode(b.stream, size: b.expected.count) == b.expected)
    }

    @Test func streamFromAnotherEncoder() throws {
        // python-snappy: snappy.compress(b"Wikipedia is a free, ... encyclopedia." * 2)
        let stream = hex(
            "e601f04357696b697065646961206973206120667265652c207765622d62617365642c20636f6c6c61626f72617469"
                + "76652c206d756c74696c696e6775616c20656e6379636c6f70053f2070726f6a6563742e204a5200322a00002e4a"
                + "2100fe73007e7300")
        let text = Array(
            ("Wikipedia is a free, web-based, collaborative, multilingual encyclopedia project. "
                + "Wikipedia is a free encyclopedia.").utf8)
        #expect(try snappyDecode(stream, size: 230) == text + text)
    }

    @Test(arguments: 0..<40)
    func randomValidStreams(seed: Int) throws {
        let b = randomSnappyStream(seed: UInt64(seed), elements: seed < 30 ? 50 : 3000)
        #expect(referenceSnappyDecode(b.stream) == b.expected)
        #expect(try snappyDecode(b.stream, size: b.expected.count) == b.expected)
    }

    @Test func largeVarintLengths() throws {
        // A 5-byte varint for 300 (non-minimal padding is not allowed past 5 bytes).
        var b = SnappyStreamBuilder()
        b.literal(randomBytes(300, seed: 9))
        let padded: [UInt8] = [0xAC, 0x82, 0x80, 0x80, 0x00] + b.elements
        #expect(try snappyDecode(padded, size: 300) == b.expected)
        let tooLong: [UInt8] = [0xAC, 0x82, 0x80, 0x80, 0x80, 0x00] + b.elements
        #expect(throws: CompressionError.self) { try snappyDecode(tooLong, size: 300) }
    }
}

@Suite struct SnappyCorruptInput {
    func expectCorrupt(_ stream: [UInt8], size: Int, mentioning word: String? = nil, _ comment: Comment? = nil) {
        let (_, error) = decompressGuarded(.snappy, stream, size: size)
        #expect(error is CompressionError, comment)
        if let word, let message = (error as? CompressionError)?.message {
            #expect(message.contains(word), "\(message)")
        }
    }

    @Test func lengthMismatch() {
        let stream: [UInt8] = [0x05, 0x10] + Array("hello".utf8)
        expectCorrupt(stream, size: 4, mentioning: "4")
        expectCorrupt(stream, size: 6, mentioning: "6")
        // Header says 6 but the elements produce only 5.
        expectCorrupt([0x06, 0x10] + Array("hello".utf8), size: 6, mentioning: "5")
    }

    @Test func emptyOrBadHeader() {
        expectCorrupt([], size: 10)
        expectCorrupt([0x80], size: 10)
        expectCorrupt([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], size: 10)
        expectCorrupt([0xFF, 0xFF, 0xFF, 0xFF, 0x7F], size: 10)  // > 4 GiB
    }

    @Test func badOffsets() {
        // Offset 0.
        expectCorrupt([0x08, 0x00, 0x61, 0x09, 0x00], size: 8, mentioning: "offset")
        // Offset reaching before the start of the output.
        expectCorrupt([0x08, 0x00, 0x61, 0x09, 0x02], size: 8, mentioning: "offset")
        expectCorrupt([0x08, 0x00, 0x61, 0x0E, 0xFF, 0xFF], size: 8, mentioning: "offset")
        expectCorrupt([0x08, 0x00, 0x61, 0x0F, 0x05, 0x00, 0x00, 0x80], size: 8, mentioning: "offset")
        // A copy as the very first element.
        expectCorrupt([0x04, 0x01, 0x00], size: 4, mentioning: "offset")
    }

    @Test func elementsOverrunningBuffers() {
        // Literal longer than the remaining input.
        expectCorrupt([0x0A, 0x24, 0x61, 0x62], size: 10)
        // Literal longer than the declared output.
        expectCorrupt([0x02, 0x08, 0x61, 0x62, 0x63], size: 2)
        // Copy longer than the declared output (fast and careful paths).
        expectCorrupt([0x05, 0x00, 0x61, 0xFE, 0x01, 0x00], size: 5)
        expectCorrupt([100, 0x00, 0x61, 0xFE, 0x01, 0x00, 0xFE, 0x01, 0x00], size: 100)
        // Literal length bytes cut off.
        expectCorrupt([0x80, 0x02, 0xF4, 0xFF], size: 256)
        // Huge 4-byte literal length.
        expectCorrupt([0x0A, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], size: 10)
    }

    @Test func everyTruncationThrows() throws {
        let data = mixedBytes(30_000, seed: 50)
        let stream = try compress(.snappy, data)
        for cut in 0..<min(stream.count, 300) {
            expectCorrupt(Array(stream[..<cut]), size: data.count, "cut at \(cut)")
        }
        for cut in stride(from: 300, to: stream.count, by: 97) {
            expectCorrupt(Array(stream[..<cut]), size: data.count, "cut at \(cut)")
        }
    }

    /// Mutated streams: our decoder must agree with the reference decoder on
    /// whether the stream is valid and on its output, and never overrun.
    @Test(arguments: 0..<8)
    func mutationsAgreeWithReference(seed: Int) throws {
        var rng = SeededRNG(seed: UInt64(1000 + seed))
        let base = randomSnappyStream(seed: UInt64(2000 + seed), elements: 60)
        for _ in 0..<400 {
            var s = base.stream
            for _ in 0..<Int(rng.next() % 3 + 1) {
                switch rng.next() % 3 {
                case 0: s[Int(rng.next() % UInt64(s.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 1: s[Int(rng.next() % UInt64(s.count))] ^= 1 << UInt8(rng.next() % 8)
                default: s.removeLast(Int(rng.next() % UInt64(min(s.count, 10))))
                }
                if s.isEmpty { s = [0] }
            }
            // Decode into the size the (possibly mutated) header declares, when sane.
            var size = base.expected.count
            var i = 0
            var declared = 0
            var shift = 0
            while i < s.count && i < 5 {
                declared |= Int(s[i] & 0x7F) << shift
                if s[i] < 0x80 {
                    if declared < 1 << 20 { size = declared }
                    break
                }
                shift += 7
                i += 1
            }
            let reference = referenceSnappyDecode(s)
            let (output, error) = decompressGuarded(.snappy, s, size: size)
            if let reference, reference.count == size {
                #expect(error == nil)
                #expect(output == reference)
            } else {
                #expect(error != nil)
            }
        }
    }
}

@Suite struct SnappyEncoding {
    /// Our compressor's output must be valid for an independent decoder.
    @Test func outputIsValidSnappy() throws {
        for sample in roundTripSamples where sample.bytes.count <= 300_000 {
            let c = try compress(.snappy, sample.bytes)
            #expect(referenceSnappyDecode(c) == sample.bytes, "\(sample.testDescription)")
        }
    }

    @Test func compressesLikeSnappy() throws {
        let text = textBytes(1 << 20, seed: 60)
        let c = try compress(.snappy, text)
        #expect(c.count < text.count / 2, "text compressed to \(c.count) bytes")
        let random = randomBytes(1 << 20, seed: 61)
        let r = try compress(.snappy, random)
        #expect(r.count <= 32 + random.count + random.count / 6)
        #expect(r.count < random.count + random.count / 100)
    }
}
