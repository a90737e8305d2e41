// Enumerations of parquet.thrift. Thrift enums travel as i32.

/// `Type`: the physical storage type of a column.
public enum PhysicalType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case boolean = 0
    case int32 = 1
    case int64 = 2
    case int96 = 3
    case float = 4
    case double = 5
    case byteArray = 6
    case fixedLenByteArray = 7

    public var description: String {
        switch self {
        case .boolean: return "BOOLEAN"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .int96: return "INT96"
        case .float: return "FLOAT"
        case .double: return "DOUBLE"
        case .byteArray: return "BYTE_ARRAY"
        case .fixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY"
        }
    }

    /// Reads the i32 and rejects values outside the enumeration.
    static func read(from r: inout CompactReader) throws -> PhysicalType {
        let at = r.position
        let v = try r.readI32()
        guard let t = PhysicalType(rawValue: v) else { throw ThriftError("invalid physical type \(v)", offset: at) }
        return t
    }
}

/// `FieldRepetitionType`.
public enum Repetition: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case required = 0
    case optional = 1
    case repeated = 2

    public var description: String {
        switch self {
        case .required: return "REQUIRED"
        case .optional: return "OPTIONAL"
        case .repeated: return "REPEATED"
        }
    }

    static func read(from r: inout CompactReader) throws -> Repetition {
        let at = r.position
        let v = try r.readI32()
        guard let t = Repetition(rawValue: v) else { throw ThriftError("invalid repetition type \(v)", offset: at) }
        return t
    }
}

/// `ConvertedType`: the legacy logical annotation. Values this reader does not know decode as nil.
public enum ConvertedType: Int32, Sendable, CaseIterable {
    case utf8 = 0
    case map = 1
    case mapKeyValue = 2
    case list = 3
    case enumType = 4
    case decimal = 5
    case date = 6
    case timeMillis = 7
    case timeMicros = 8
    case timestampMillis = 9
    case timestampMicros = 10
    case uint8 = 11
    case uint16 = 12
    case uint32 = 13
    case uint64 = 14
    case int8 = 15
    case int16 = 16
    case int32 = 17
    case int64 = 18
    case json = 19
    case bson = 20
    case interval = 21
}

/// `Encoding`: how values in a page are encoded. Any i32 is representable, so unknown encodings survive
/// decoding and can be reported by name ("UNKNOWN(n)").
public struct Encoding: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let plain = Encoding(rawValue: 0)
    // 1 was GROUP_VAR_INT, never used and removed from the format.
    public static let plainDictionary = Encoding(rawValue: 2)
    public static let rle = Encoding(rawValue: 3)
    public static let bitPacked = Encoding(rawValue: 4)
    public static let deltaBinaryPacked = Encoding(rawValue: 5)
    public static let deltaLengthByteArray = Encoding(rawValue: 6)
    public static let deltaByteArray = Encoding(rawValue: 7)
    public static let rleDictionary = Encoding(rawValue: 8)
    public static let byteStreamSplit = Encoding(rawValue: 9)

    public var description: String {
        switch rawValue {
        case 0: return "PLAIN"
        case 2: return "PLAIN_DICTIONARY"
        case 3: return "RLE"
        case 4: return "BIT_PACKED"
        case 5: return "DELTA_BINARY_PACKED"
        case 6: return "DELTA_LENGTH_BYTE_ARRAY"
        case 7: return "DELTA_BYTE_ARRAY"
        case 8: return "RLE_DICTIONARY"
        case 9: return "BYTE_STREAM_SPLIT"
        default: return "UNKNOWN(\(rawValue))"
        }
    }
}

/// `PageType`. Any i32 is representable; unknown page types are for the reader to skip or reject.
public struct PageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let dataPage = PageType(rawValue: 0)
    public static let indexPage = PageType(rawValue: 1)
    public static let dictionaryPage = PageType(rawValue: 2)
    public static let dataPageV2 = PageType(rawValue: 3)

    public var description: String {
        switch rawValue {
        case 0: return "DATA_PAGE"
        case 1: return "INDEX_PAGE"
        case 2: return "DICTIONARY_PAGE"
        case 3: return "DATA_PAGE_V2"
        default: return "UNKNOWN(\(rawValue))"
        }
    }
}
