/// One value of a row to write, in the column's physical type (a DECIMAL as its unscaled integer or big-endian
/// bytes, a TIMESTAMP as its count of units, a DATE as days, and so on), or a nested value.
///
/// A row is one `ParquetValue` per top-level field. Fields hold:
/// - a primitive column: the scalar of its physical type (`.bytes` or `.string` for BYTE_ARRAY, `.bytes` for
///   FIXED_LEN_BYTE_ARRAY), or `.null`;
/// - a struct: `.group` with one value per field, in schema order;
/// - a LIST: `.list` of element values; a MAP: `.map` of key/value pairs;
/// - a bare REPEATED field: `.list` of its occurrences.
/// `.null` stands for a missing OPTIONAL value; for a REPEATED field it is the same as an empty list.
public indirect enum ParquetValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case int96(Int96)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    /// UTF-8 text for a BYTE_ARRAY column.
    case string(String)
    case group([ParquetValue])
    case list([ParquetValue])
    case map([ParquetMapEntry])

    /// What kind of value this is, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .boolean: return "boolean"
        case .int32: return "int32"
        case .int64: return "int64"
        case .int96: return "int96"
        case .float: return "float"
        case .double: return "double"
        case .bytes: return "bytes"
        case .string: return "string"
        case .group: return "group"
        case .list: return "list"
        case .map: return "map"
        }
    }
}

/// One entry of a MAP value.
public struct ParquetMapEntry: Sendable, Equatable {
    public var key: ParquetValue
    public var value: ParquetValue
    public init(_ key: ParquetValue, _ value: ParquetValue) {
        self.key = key
        self.value = value
    }
}
