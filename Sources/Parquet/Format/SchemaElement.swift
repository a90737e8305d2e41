/// `SchemaElement`: one node of the schema tree, flattened depth-first in `FileMetaData.schema`.
public struct SchemaElement: Sendable, Equatable {
    /// Physical type; nil for group (non-leaf) nodes.
    public var type: PhysicalType?  // 1
    /// Byte width of FIXED_LEN_BYTE_ARRAY values.
    public var typeLength: Int32?  // 2
    /// Absent only for the root.
    public var repetitionType: Repetition?  // 3
    public var name: String  // 4, required
    /// Number of children of a group node.
    public var numChildren: Int32?  // 5
    public var convertedType: ConvertedType?  // 6
    public var scale: Int32?  // 7
    public var precision: Int32?  // 8
    public var fieldId: Int32?  // 9
    public var logicalType: LogicalType?  // 10

    public init(
        type: PhysicalType? = nil, typeLength: Int32? = nil, repetitionType: Repetition? = nil, name: String,
        numChildren: Int32? = nil, convertedType: ConvertedType? = nil, scale: Int32? = nil,
        precision: Int32? = nil, fieldId: Int32? = nil, logicalType: LogicalType? = nil
    ) {
        self.type = type
        self.typeLength = typeLength
        self.repetitionType = repetitionType
        self.name = name
        self.numChildren = numChildren
        self.convertedType = convertedType
        self.scale = scale
        self.precision = precision
        self.fieldId = fieldId
        self.logicalType = logicalType
    }
}

extension SchemaElement: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var name: String?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                type = try PhysicalType.read(from: &r)
            case 2 where f.type == .i32:
                typeLength = try r.readI32()
            case 3 where f.type == .i32:
                repetitionType = try Repetition.read(from: &r)
            case 4 where f.type == .binary:
                name = try r.readString()
            case 5 where f.type == .i32:
                numChildren = try r.readI32()
            case 6 where f.type == .i32:
                convertedType = ConvertedType(rawValue: try r.readI32())
            case 7 where f.type == .i32:
                scale = try r.readI32()
            case 8 where f.type == .i32:
                precision = try r.readI32()
            case 9 where f.type == .i32:
                fieldId = try r.readI32()
            case 10 where f.type == .structure:
                logicalType = try LogicalType(from: &r)
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let name else { throw r.missing("SchemaElement", "name") }
        self.name = name
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: type?.rawValue)
        w.writeField(2, i32: typeLength)
        w.writeField(3, i32: repetitionType?.rawValue)
        w.writeField(4, string: name)
        w.writeField(5, i32: numChildren)
        w.writeField(6, i32: convertedType?.rawValue)
        w.writeField(7, i32: scale)
        w.writeField(8, i32: precision)
        w.writeField(9, i32: fieldId)
        w.writeField(10, struct: logicalType)
        w.endStruct(s)
    }
}
