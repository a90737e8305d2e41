/// An encoder for the Thrift compact protocol, appending to `bytes`.
///
/// Structs are written as `let s = w.beginStruct()`, then fields (header + value), then `w.endStruct(s)`,
/// which writes the stop byte. Field headers use the one-byte delta form whenever the id is 1...15 above the
/// previous field's id, the long form otherwise.
public struct CompactWriter: Sendable {
    public var bytes: [UInt8]
    var lastFieldId: Int16 = 0

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Primitives

    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func writeByte(_ value: Int8) {
        bytes.append(UInt8(bitPattern: value))
    }

    public mutating func writeI16(_ value: Int16) {
        writeI32(Int32(value))
    }

    public mutating func writeI32(_ value: Int32) {
        writeVarint(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    public mutating func writeI64(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func writeDouble(_ value: Double) {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeBinary(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(_ value: String) {
        writeBinary(value.utf8)
    }

    /// A bool as a collection element: one byte, 1 for true and 2 for false.
    public mutating func writeBoolElement(_ value: Bool) {
        bytes.append(value ? CompactType.boolTrue.rawValue : CompactType.boolFalse.rawValue)
    }

    // MARK: Structs

    /// Start a struct; hand the result to `endStruct`.
    public mutating func beginStruct() -> Int16 {
        let saved = lastFieldId
        lastFieldId = 0
        return saved
    }

    /// Write the stop byte and return to the enclosing struct.
    public mutating func endStruct(_ saved: Int16) {
        bytes.append(CompactType.stop.rawValue)
        lastFieldId = saved
    }

    public mutating func writeFieldHeader(_ id: Int16, _ type: CompactType) {
        let delta = Int(id) - Int(lastFieldId)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeI16(id)
        }
        lastFieldId = id
    }

    // MARK: Collections

    /// A list header; bool lists are written with element type `boolTrue`.
    public mutating func writeListHeader(_ elementType: CompactType, count: Int) {
        let t = elementType.isBool ? CompactType.boolTrue.rawValue : elementType.rawValue
        if count < 15 {
            bytes.append(UInt8(count) << 4 | t)
        } else {
            bytes.append(0xF0 | t)
            writeVarint(UInt64(count))
        }
    }

    public mutating func writeMapHeader(key: CompactType, value: CompactType, count: Int) {
        writeVarint(UInt64(count))
        if count > 0 { bytes.append(key.rawValue << 4 | value.rawValue) }
    }

    // MARK: Fields
    // Each writes nothing when the value is nil, so optional fields can be passed straight through.

    public mutating func writeField(_ id: Int16, bool value: Bool?) {
        if let value { writeFieldHeader(id, value ? .boolTrue : .boolFalse) }
    }

    public mutating func writeField(_ id: Int16, byte value: Int8?) {
        guard let value else { return }
        writeFieldHeader(id, .byte)
        writeByte(value)
    }

    public mutating func writeField(_ id: Int16, i16 value: Int16?) {
        guard let value else { return }
        writeFieldHeader(id, .i16)
        writeI16(value)
    }

    public mutating func writeField(_ id: Int16, i32 value: Int32?) {
        guard let value else { return }
        writeFieldHeader(id, .i32)
        writeI32(value)
    }

    public mutating func writeField(_ id: Int16, i64 value: Int64?) {
        guard let value else { return }
        writeFieldHeader(id, .i64)
        writeI64(value)
    }

    public mutating func writeField(_ id: Int16, double value: Double?) {
        guard let value else { return }
        writeFieldHeader(id, .double)
        writeDouble(value)
    }

    public mutating func writeField(_ id: Int16, binary value: [UInt8]?) {
        guard let value else { return }
        writeFieldHeader(id, .binary)
        writeBinary(value)
    }

    public mutating func writeField(_ id: Int16, string value: String?) {
        guard let value else { return }
        writeFieldHeader(id, .binary)
        writeString(value)
    }

    public mutating func writeField<T: ThriftStruct>(_ id: Int16, struct value: T?) {
        guard let value else { return }
        writeFieldHeader(id, .structure)
        value.write(to: &self)
    }

    /// A list field; `element` writes one element's value.
    public mutating func writeField<T>(
        _ id: Int16, list values: [T], of elementType: CompactType, _ element: (inout CompactWriter, T) -> Void
    ) {
        writeFieldHeader(id, .list)
        writeListHeader(elementType, count: values.count)
        for v in values { element(&self, v) }
    }

    public mutating func writeField<T: ThriftStruct>(_ id: Int16, structs values: [T]?) {
        guard let values else { return }
        writeField(id, list: values, of: .structure) { w, v in v.write(to: &w) }
    }
}
