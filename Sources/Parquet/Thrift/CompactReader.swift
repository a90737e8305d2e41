/// A decoder for the Thrift compact protocol over borrowed memory.
///
/// Every read checks the remaining bytes first, so any input (truncated, corrupt or hostile) yields a
/// `ThriftError` rather than a crash, a hang or an allocation larger than the input itself:
/// binary lengths and collection sizes are checked against the bytes left before anything is allocated, varints
/// longer than 10 bytes are rejected, and structs/collections may nest at most `maxDepth` levels.
///
/// The reader borrows `bytes`; it must not outlive the buffer it was made from.
public struct CompactReader {
    /// The deepest struct/list/map nesting accepted.
    public static let maxDepth = 64

    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read; always within `0...bytes.count`.
    public internal(set) var position: Int
    /// Id of the last field header read in the current struct (for delta-encoded headers).
    var lastFieldId: Int16 = 0
    var depth: Int = 0

    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        precondition(position >= 0 && position <= bytes.count, "CompactReader position out of range")
        self.bytes = bytes
        self.position = position
    }

    /// Bytes not yet consumed.
    public var remaining: Int { bytes.count - position }

    func fail(_ message: String, at offset: Int? = nil) -> ThriftError {
        ThriftError(message, offset: offset ?? position)
    }

    func truncated(_ what: String, at offset: Int) -> ThriftError {
        ThriftError("unexpected end of data reading \(what)", offset: offset)
    }

    // MARK: Primitives

    mutating func rawByte(_ what: @autoclosure () -> String) throws -> UInt8 {
        guard position < bytes.count else { throw truncated(what(), at: position) }
        let b = bytes[position]
        position += 1
        return b
    }

    /// An unsigned LEB128 varint of at most 10 bytes whose value fits in 64 bits.
    public mutating func readVarint() throws -> UInt64 {
        let start = position
        guard start < bytes.count else { throw truncated("varint", at: start) }
        let first = bytes[start]
        if first < 0x80 {
            position = start + 1
            return UInt64(first)
        }
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        var i = start + 1
        while true {
            guard i < bytes.count else { throw truncated("varint", at: start) }
            let b = bytes[i]
            i += 1
            if shift == 63 && b > 1 {
                throw fail("varint longer than 10 bytes or wider than 64 bits", at: start)
            }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        position = i
        return result
    }

    /// A varint that must fit in 32 bits (Thrift i32s, lengths and sizes).
    mutating func readVarint32(_ what: @autoclosure () -> String) throws -> UInt32 {
        let start = position
        let v = try readVarint()
        guard v <= UInt64(UInt32.max) else { throw fail("\(what()) varint \(v) does not fit in 32 bits", at: start) }
        return UInt32(truncatingIfNeeded: v)
    }

    /// A single signed byte (Thrift `byte`/`i8`).
    public mutating func readByte() throws -> Int8 {
        Int8(bitPattern: try rawByte("byte"))
    }

    public mutating func readI16() throws -> Int16 {
        let start = position
        let v = try readI32()
        guard let r = Int16(exactly: v) else { throw fail("i16 value \(v) out of range", at: start) }
        return r
    }

    public mutating func readI32() throws -> Int32 {
        let u = try readVarint32("i32")
        return Int32(bitPattern: u >> 1) ^ (0 &- Int32(bitPattern: u & 1))
    }

    public mutating func readI64() throws -> Int64 {
        let u = try readVarint()
        return Int64(bitPattern: u >> 1) ^ (0 &- Int64(bitPattern: u & 1))
    }

    /// 8 bytes, little endian IEEE 754.
    public mutating func readDouble() throws -> Double {
        guard remaining >= 8 else { throw truncated("double", at: position) }
        let bits = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    /// A bool stored as a collection element (one byte: 1 is true; 0 or 2 false).
    public mutating func readBoolElement() throws -> Bool {
        try rawByte("bool") == 1
    }

    /// The length prefix of a binary value, checked against the bytes remaining.
    mutating func readBinaryLength() throws -> Int {
        let start = position
        let v = try readVarint32("binary length")
        guard v <= UInt32(Int32.max) else { throw fail("negative binary length \(Int32(bitPattern: v))", at: start) }
        let n = Int(v)
        guard n <= remaining else {
            throw fail("binary length \(n) exceeds the \(remaining) bytes remaining", at: start)
        }
        return n
    }

    /// A binary value as a view into the input; no copy is made.
    public mutating func readBinaryView() throws -> UnsafeRawBufferPointer {
        let n = try readBinaryLength()
        let view = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
        position += n
        return view
    }

    public mutating func readBinary() throws -> [UInt8] {
        [UInt8](try readBinaryView())
    }

    /// A binary value decoded as UTF-8 (invalid sequences are replaced, never rejected).
    public mutating func readString() throws -> String {
        String(decoding: try readBinaryView(), as: UTF8.self)
    }

    // MARK: Structs

    /// Enter a struct: returns the state to hand back to `endStruct`.
    public mutating func beginStruct() throws -> Int16 {
        guard depth < CompactReader.maxDepth else {
            throw fail("structures nested deeper than \(CompactReader.maxDepth) levels")
        }
        depth += 1
        let saved = lastFieldId
        lastFieldId = 0
        return saved
    }

    /// Leave a struct whose stop byte `readFieldHeader` has returned nil for.
    public mutating func endStruct(_ saved: Int16) {
        depth -= 1
        lastFieldId = saved
    }

    /// The next field header, or nil at the struct's stop byte.
    public mutating func readFieldHeader() throws -> ThriftFieldHeader? {
        let start = position
        let b = try rawByte("field header")
        if b == 0 { return nil }
        guard let type = CompactType(rawValue: b & 0x0F), type != .stop else {
            throw fail("invalid field type \(b & 0x0F)", at: start)
        }
        let delta = b >> 4
        let id: Int16
        if delta == 0 {
            id = try readI16()
        } else {
            id = lastFieldId &+ Int16(delta)
        }
        lastFieldId = id
        return ThriftFieldHeader(id: id, type: type)
    }

    // MARK: Collections

    /// A list (or set) header: element type and count. The count is checked against the bytes remaining,
    /// since each element needs at least one byte (eight for doubles, sixteen for uuids).
    public mutating func readListHeader() throws -> (elementType: CompactType, count: Int) {
        let start = position
        let b = try rawByte("list header")
        var count = Int(b >> 4)
        if count == 15 {
            let v = try readVarint32("list size")
            guard v <= UInt32(Int32.max) else {
                throw fail("list size \(v) is negative or too large", at: start)
            }
            count = Int(v)
        }
        guard let type = CompactType(rawValue: b & 0x0F), type != .stop else {
            if count == 0 { return (.stop, 0) }
            throw fail("invalid list element type \(b & 0x0F)", at: start)
        }
        guard count <= remaining / type.minimumElementSize else {
            throw fail("list of \(count) \(type) elements exceeds the \(remaining) bytes remaining", at: start)
        }
        return (type, count)
    }

    /// A map header: key type, value type and count, checked against the bytes remaining.
    public mutating func readMapHeader() throws -> (keyType: CompactType, valueType: CompactType, count: Int) {
        let start = position
        let v = try readVarint32("map size")
        guard v <= UInt32(Int32.max) else { throw fail("map size \(v) is negative or too large", at: start) }
        let count = Int(v)
        if count == 0 { return (.stop, .stop, 0) }
        let b = try rawByte("map types")
        guard let k = CompactType(rawValue: b >> 4), k != .stop,
            let t = CompactType(rawValue: b & 0x0F), t != .stop
        else { throw fail("invalid map key/value types \(b >> 4)/\(b & 0x0F)", at: start) }
        guard count <= remaining / (k.minimumElementSize + t.minimumElementSize) else {
            throw fail("map of \(count) entries exceeds the \(remaining) bytes remaining", at: start)
        }
        return (k, t, count)
    }

    // MARK: Skipping

    /// Skip the value of a struct field of wire type `type` (for a bool field there is nothing to skip).
    public mutating func skip(_ type: CompactType) throws {
        try skipValue(type, element: false)
    }

    mutating func skipValue(_ type: CompactType, element: Bool) throws {
        let start = position
        switch type {
        case .stop:
            throw fail("cannot skip a value of type stop", at: start)
        case .boolTrue, .boolFalse:
            if element { _ = try rawByte("bool") }
        case .byte:
            _ = try rawByte("byte")
        case .i16, .i32, .i64:
            _ = try readVarint()
        case .double:
            guard remaining >= 8 else { throw truncated("double", at: start) }
            position += 8
        case .uuid:
            guard remaining >= 16 else { throw truncated("uuid", at: start) }
            position += 16
        case .binary:
            let n = try readBinaryLength()
            position += n
        case .list, .set:
            let (t, n) = try readListHeader()
            try enterCollection(at: start)
            for _ in 0..<n { try skipValue(t, element: true) }
            depth -= 1
        case .map:
            let (k, v, n) = try readMapHeader()
            try enterCollection(at: start)
            for _ in 0..<n {
                try skipValue(k, element: true)
                try skipValue(v, element: true)
            }
            depth -= 1
        case .structure:
            let saved = try beginStruct()
            while let f = try readFieldHeader() {
                try skipValue(f.type, element: false)
            }
            endStruct(saved)
        }
    }

    mutating func enterCollection(at start: Int) throws {
        guard depth < CompactReader.maxDepth else {
            throw fail("structures nested deeper than \(CompactReader.maxDepth) levels", at: start)
        }
        depth += 1
    }
}

// MARK: Helpers for decoding Parquet structures

extension CompactReader {
    /// A list whose elements must be of wire type `elementType` (an empty list may declare any type).
    /// `what` names the field ("ColumnMetaData.encodings") for error messages.
    mutating func readList<T>(
        _ what: String, of elementType: CompactType, _ element: (inout CompactReader) throws -> T
    ) throws -> [T] {
        let start = position
        let (type, count) = try readListHeader()
        if count == 0 { return [] }
        guard type.matchesElement(elementType) else {
            throw fail("\(what): expected list<\(elementType)>, found list<\(type)>", at: start)
        }
        guard depth < CompactReader.maxDepth else {
            throw fail("structures nested deeper than \(CompactReader.maxDepth) levels", at: start)
        }
        depth += 1
        defer { depth -= 1 }
        var out: [T] = []
        out.reserveCapacity(Swift.min(count, 1 << 16))
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }

    /// The error for a required field that a struct did not contain.
    func missing(_ structName: String, _ field: String) -> ThriftError {
        fail("required field \(structName).\(field) is missing")
    }
}
