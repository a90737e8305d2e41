import TestSupport
import Testing

@testable import Parquet

/// Runs `body` with a reader over `bytes`.
func withCompactReader<R>(_ bytes: [UInt8], _ body: (inout CompactReader) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { buf in
        var r = CompactReader(buf)
        return try body(&r)
    }
}

/// The error `body` throws, or nil.
func thriftError(_ body: () throws -> Void) -> ThriftError? {
    do {
        try body()
        return nil
    } catch let e as ThriftError {
        return e
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct CompactProtocolTests {
    @Test func varintsRoundTrip() throws {
        let values: [UInt64] = [0, 1, 127, 128, 255, 300, 16383, 16384, 1 << 32, UInt64(Int64.max), UInt64.max]
        var w = CompactWriter()
        for v in values { w.writeVarint(v) }
        #expect(Array(w.bytes.prefix(5)) == [0, 1, 0x7F, 0x80, 0x01])
        #expect(w.bytes.suffix(10) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        try withCompactReader(w.bytes) { r throws in
            for v in values { #expect(try r.readVarint() == v) }
            #expect(r.remaining == 0)
        }
    }

    @Test func overlongVarintsAreRejected() {
        // 11 bytes
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x01]
        let e1 = thriftError { _ = try withCompactReader(eleven) { try $0.readVarint() } }
        #expect(e1?.description.contains("varint") == true)
        #expect(e1?.offset == 0)
        // 10 bytes whose last carries more than the 64th bit
        let wide = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        #expect(thriftError { _ = try withCompactReader(wide) { try $0.readVarint() } } != nil)
        // truncated in the middle
        #expect(thriftError { _ = try withCompactReader([0x80, 0x80]) { try $0.readVarint() } } != nil)
        #expect(thriftError { _ = try withCompactReader([]) { try $0.readVarint() } } != nil)
        // an i32 whose varint exceeds 32 bits
        let big: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(thriftError { _ = try withCompactReader(big) { try $0.readI32() } } != nil)
        // an i16 out of range
        var w = CompactWriter()
        w.writeI32(40000)
        #expect(thriftError { _ = try withCompactReader(w.bytes) { try $0.readI16() } } != nil)
    }

    @Test func zigzagIntegersRoundTrip() throws {
        let i16s: [Int16] = [0, -1, 1, -64, 64, .min, .max]
        let i32s: [Int32] = [0, -1, 1, -2, 2, 1000, -1000, .min, .max]
        let i64s: [Int64] = [0, -1, 1, Int64(Int32.min) - 1, 1 << 40, .min, .max]
        var w = CompactWriter()
        for v in i16s { w.writeI16(v) }
        for v in i32s { w.writeI32(v) }
        for v in i64s { w.writeI64(v) }
        w.writeByte(-128)
        w.writeByte(127)
        try withCompactReader(w.bytes) { r throws in
            for v in i16s { #expect(try r.readI16() == v) }
            for v in i32s { #expect(try r.readI32() == v) }
            for v in i64s { #expect(try r.readI64() == v) }
            #expect(try r.readByte() == -128)
            #expect(try r.readByte() == 127)
            #expect(r.remaining == 0)
        }
        // zigzag: -1 -> 1, 1 -> 2, -2 -> 3
        var z = CompactWriter()
        z.writeI32(-1)
        z.writeI32(1)
        z.writeI32(-2)
        #expect(z.bytes == [1, 2, 3])
    }

    @Test func doublesBinaryAndStrings() throws {
        var w = CompactWriter()
        w.writeDouble(1.5)
        w.writeDouble(-.infinity)
        w.writeBinary([UInt8]([1, 2, 3]))
        w.writeString("héllo")
        w.writeBinary([UInt8]())
        #expect(Array(w.bytes.prefix(8)) == [0, 0, 0, 0, 0, 0, 0xF8, 0x3F])
        try withCompactReader(w.bytes) { r throws in
            #expect(try r.readDouble() == 1.5)
            #expect(try r.readDouble() == -.infinity)
            #expect(try r.readBinary() == [1, 2, 3])
            #expect(try r.readString() == "héllo")
            #expect(try r.readBinary() == [])
            #expect(r.remaining == 0)
        }
        #expect(thriftError { _ = try withCompactReader([1, 2, 3]) { try $0.readDouble() } } != nil)
    }

    @Test func binaryLengthIsCheckedBeforeAllocating() {
        // claims 2^31-1 bytes, has 2
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x41, 0x42]
        let e = thriftError { _ = try withCompactReader(huge) { try $0.readBinary() } }
        #expect(e?.message.contains("exceeds") == true)
        // a "negative" length (i32 bit pattern of 0xFFFFFFFF)
        let negative: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        let n = thriftError { _ = try withCompactReader(negative) { try $0.readString() } }
        #expect(n?.message.contains("negative") == true)
        // one byte short
        #expect(thriftError { _ = try withCompactReader([3, 0x41, 0x42]) { try $0.readBinary() } } != nil)
    }

    @Test func fieldHeadersUseDeltaAndLongForms() throws {
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, i32: 7)  // delta 1
        w.writeField(16, i32: 8)  // delta 15: still short
        w.writeField(32, i32: 9)  // delta 16: long
        w.writeField(5, bool: true)  // backwards: long
        w.writeField(6, bool: false)  // delta 1
        w.writeField(-3, i64: 10)  // negative id: long
        w.writeField(32767, binary: [9])
        w.endStruct(s)
        #expect(Array(w.bytes.prefix(2)) == [0x15, 14])
        #expect(w.bytes[2] == 0xF5)
        #expect(w.bytes[4] == 0x05)  // long form: type only, then zigzag id
        try withCompactReader(w.bytes) { r throws in
            let saved = try r.beginStruct()
            var got: [(Int16, CompactType)] = []
            while let f = try r.readFieldHeader() {
                got.append((f.id, f.type))
                try r.skip(f.type)
            }
            r.endStruct(saved)
            #expect(got.map(\.0) == [1, 16, 32, 5, 6, -3, 32767])
            #expect(got.map(\.1) == [.i32, .i32, .i32, .boolTrue, .boolFalse, .i64, .binary])
            #expect(r.remaining == 0)
        }
    }

    @Test func invalidFieldTypesAreRejected() {
        for t: UInt8 in [14, 15] {
            let e = thriftError { _ = try withCompactReader([0x10 | t]) { try $0.readFieldHeader() } }
            #expect(e?.message.contains("invalid field type") == true)
        }
        // a high nibble with type 0 is not a stop
        #expect(thriftError { _ = try withCompactReader([0x10]) { try $0.readFieldHeader() } } != nil)
    }

    @Test func listAndMapHeaders() throws {
        var w = CompactWriter()
        w.writeListHeader(.i32, count: 14)
        for i in 0..<14 { w.writeI32(Int32(i)) }
        w.writeListHeader(.binary, count: 15)
        for _ in 0..<15 { w.writeString("") }
        w.writeListHeader(.boolFalse, count: 3)
        for b in [true, false, true] { w.writeBoolElement(b) }
        w.writeMapHeader(key: .binary, value: .i64, count: 2)
        w.writeString("a")
        w.writeI64(1)
        w.writeString("b")
        w.writeI64(-1)
        w.writeMapHeader(key: .binary, value: .i64, count: 0)
        #expect(w.bytes[0] == 0xE5)
        try withCompactReader(w.bytes) { r throws in
            let (t1, n1) = try r.readListHeader()
            #expect(t1 == .i32 && n1 == 14)
            for i in 0..<14 { #expect(try r.readI32() == Int32(i)) }
            let (t2, n2) = try r.readListHeader()
            #expect(t2 == .binary && n2 == 15)
            for _ in 0..<15 { #expect(try r.readString() == "") }
            let (t3, n3) = try r.readListHeader()
            #expect(t3.isBool && n3 == 3)
            #expect(try [r.readBoolElement(), r.readBoolElement(), r.readBoolElement()] == [true, false, true])
            let (k, v, n) = try r.readMapHeader()
            #expect(k == .binary && v == .i64 && n == 2)
            #expect(try r.readString() == "a")
            #expect(try r.readI64() == 1)
            #expect(try r.readString() == "b")
            #expect(try r.readI64() == -1)
            let (_, _, n0) = try r.readMapHeader()
            #expect(n0 == 0)
            #expect(r.remaining == 0)
        }
    }

    @Test func hugeCollectionClaimsFailFast() {
        let clock = ContinuousClock()
        let start = clock.now
        // 2^31 elements: not even a valid i32 size
        let e1 = thriftError { _ = try withCompactReader([0xFC, 0x80, 0x80, 0x80, 0x80, 0x08]) { try $0.readListHeader() } }
        #expect(e1 != nil)
        // 2^31-1 structs with 3 bytes left
        let e2 = thriftError {
            _ = try withCompactReader([0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, 0, 0]) { try $0.readListHeader() }
        }
        #expect(e2?.message.contains("exceeds") == true)
        // doubles need 8 bytes each
        #expect(thriftError { _ = try withCompactReader([0x27, 0, 0, 0, 0, 0, 0, 0, 0]) { try $0.readListHeader() } } != nil)
        // a map of 2^31-1 entries
        #expect(thriftError { _ = try withCompactReader([0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x88, 0]) { try $0.readMapHeader() } } != nil)
        // and through skip
        #expect(thriftError { _ = try withCompactReader([0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]) { try $0.skip(.list) } } != nil)
        // and through a typed list: FileMetaData { 1: version, 2: schema = list<struct> of 2^31-1 }
        let footer: [UInt8] = [0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00]
        let e3 = thriftError { _ = try footer.withUnsafeBytes { try FileMetaData.decode($0) } }
        #expect(e3?.message.contains("exceeds") == true)
        #expect(clock.now - start < .seconds(1))
    }

    @Test func skipsEveryType() throws {
        var w = CompactWriter()
        let s = w.beginStruct()
        w.writeField(1, bool: true)
        w.writeField(2, bool: false)
        w.writeField(3, byte: -1)
        w.writeField(4, i16: -300)
        w.writeField(5, i32: 70000)
        w.writeField(6, i64: -1 << 50)
        w.writeField(7, double: 2.5)
        w.writeField(8, string: "skip me")
        w.writeField(9, list: [1, 2, 3] as [Int32], of: .i32) { w, v in w.writeI32(v) }
        w.writeFieldHeader(10, .set)
        w.writeListHeader(.binary, count: 2)
        w.writeString("x")
        w.writeString("y")
        w.writeFieldHeader(11, .map)
        w.writeMapHeader(key: .i32, value: .structure, count: 1)
        w.writeI32(1)
        KeyValue(key: "k", value: "v").write(to: &w)
        w.writeFieldHeader(12, .structure)
        let inner = w.beginStruct()
        w.writeField(20, list: [true, false], of: .boolTrue) { w, b in w.writeBoolElement(b) }
        w.writeField(21, list: [1.0, 2.0], of: .double) { w, d in w.writeDouble(d) }
        w.writeField(1, structs: [KeyValue(key: "a"), KeyValue(key: "b", value: "c")])
        w.endStruct(inner)
        w.writeFieldHeader(13, .uuid)
        w.bytes.append(contentsOf: [UInt8](repeating: 0xAB, count: 16))
        w.writeField(14, i32: 42)
        w.endStruct(s)
        let bytes = w.bytes
        try withCompactReader(bytes) { r throws in
            #expect(throws: Never.self) { try r.skip(.structure) }
            #expect(r.remaining == 0)
        }
        // Field 14 is found after skipping everything before it.
        try withCompactReader(bytes) { r throws in
            let saved = try r.beginStruct()
            var last: Int32?
            while let f = try r.readFieldHeader() {
                if f.id == 14 { last = try r.readI32() } else { try r.skip(f.type) }
            }
            r.endStruct(saved)
            #expect(last == 42)
        }
    }

    @Test func nestingDepthIsLimited() {
        // 100,000 nested lists of lists: must error on depth, not overflow the stack
        let lists = [UInt8](repeating: 0x19, count: 100_000)
        let e1 = thriftError { _ = try withCompactReader(lists) { try $0.skip(.list) } }
        #expect(e1?.message.contains("nested") == true)
        // 100,000 nested structs (field 1 of type struct, over and over)
        let structs = [UInt8](repeating: 0x1C, count: 100_000)
        let e2 = thriftError { _ = try withCompactReader(structs) { try $0.skip(.structure) } }
        #expect(e2?.message.contains("nested") == true)
        // 63 levels are fine
        let ok = [UInt8](repeating: 0x1C, count: 62) + [UInt8](repeating: 0, count: 63)
        #expect(throws: Never.self) { try withCompactReader(ok) { try $0.skip(.structure) } }
    }

    @Test func errorsNameTheOffset() {
        let e = ThriftError("invalid physical type -7", offset: 123)
        #expect(e.description == "thrift: invalid physical type -7 at byte 123")
        let t = thriftError { _ = try withCompactReader([0x15, 0x02, 0x19]) { try $0.skip(.structure) } }
        #expect(t?.offset == 3)
        #expect(t?.description.hasPrefix("thrift: unexpected end of data") == true)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededRNG(seed: 1)
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 64)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? withCompactReader(bytes) { try $0.skip(.structure) }
            _ = try? bytes.withUnsafeBytes { try FileMetaData.decode($0) }
            _ = try? bytes.withUnsafeBytes { try PageHeader.decode($0) }
        }
    }
}
