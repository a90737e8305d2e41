/// An error found while decoding Thrift compact-protocol bytes (or a Parquet structure inside them).
/// `offset` is the byte position, relative to the start of the decoded buffer, where the problem was seen.
public struct ThriftError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "thrift: \(message) at byte \(offset)" }
}

/// The 4-bit type codes of the Thrift compact protocol.
///
/// In a field header `boolTrue`/`boolFalse` carry the field's value; as the element type of a list, set or map
/// either code means "bool" and every element is one byte.
public enum CompactType: UInt8, Sendable, CustomStringConvertible {
    case stop = 0
    case boolTrue = 1
    case boolFalse = 2
    case byte = 3
    case i16 = 4
    case i32 = 5
    case i64 = 6
    case double = 7
    case binary = 8
    case list = 9
    case set = 10
    case map = 11
    case structure = 12
    case uuid = 13

    /// The fewest bytes one value of this type can occupy as a collection element.
    var minimumElementSize: Int {
        switch self {
        case .double: return 8
        case .uuid: return 16
        default: return 1
        }
    }

    var isBool: Bool { self == .boolTrue || self == .boolFalse }

    /// Whether a collection element type read from the wire is acceptable where `expected` is wanted.
    func matchesElement(_ expected: CompactType) -> Bool {
        self == expected || (isBool && expected.isBool) || (self == .set && expected == .list)
    }

    public var description: String {
        switch self {
        case .stop: return "stop"
        case .boolTrue, .boolFalse: return "bool"
        case .byte: return "byte"
        case .i16: return "i16"
        case .i32: return "i32"
        case .i64: return "i64"
        case .double: return "double"
        case .binary: return "binary"
        case .list: return "list"
        case .set: return "set"
        case .map: return "map"
        case .structure: return "struct"
        case .uuid: return "uuid"
        }
    }
}

/// One field header of a struct: the field id and the wire type of the value that follows.
public struct ThriftFieldHeader: Sendable, Equatable {
    public var id: Int16
    public var type: CompactType
    /// For a bool field, its value (the compact protocol stores it in the type code).
    public var boolValue: Bool { type == .boolTrue }
}

/// A Thrift struct (or union) that can be decoded from and encoded to the compact protocol.
///
/// Decoders skip fields whose id they do not know, and also known ids whose wire type differs from the
/// definition (as Thrift-generated code does: Dremio's parquet-mr fork, for one, writes a list as
/// ColumnMetaData field 15, which parquet.thrift defines as the i32 bloom_filter_length). A missing required
/// field is an error naming the struct and field; so is a list whose elements have the wrong wire type.
public protocol ThriftStruct: Sendable {
    init(from reader: inout CompactReader) throws
    func write(to writer: inout CompactWriter)
}
