/// `TimeUnit` (a union of empty structs: 1 MILLIS, 2 MICROS, 3 NANOS).
public enum TimeUnit: Sendable, Equatable {
    case millis, micros, nanos

    var fieldId: Int16 {
        switch self {
        case .millis: return 1
        case .micros: return 2
        case .nanos: return 3
        }
    }

    /// Reads the union; nil when its member is one this reader does not know.
    static func read(from r: inout CompactReader) throws -> TimeUnit? {
        let saved = try r.beginStruct()
        var unit: TimeUnit?
        var seen = false
        while let f = try r.readFieldHeader() {
            if !seen && f.type == .structure {
                seen = true
                switch f.id {
                case 1: unit = .millis
                case 2: unit = .micros
                case 3: unit = .nanos
                default: unit = nil
                }
            }
            try r.skip(f.type)  // members are empty structs; skip whatever they hold
        }
        r.endStruct(saved)
        guard seen else { throw r.missing("TimeUnit", "(union member)") }
        return unit
    }

    func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeFieldHeader(fieldId, .structure)
        let e = w.beginStruct()
        w.endStruct(e)
        w.endStruct(s)
    }
}

/// `LogicalType`: the annotation that says how to interpret a column's physical values.
///
/// A union in parquet.thrift; members this reader does not know decode as `.unknown(fieldId:)` with their
/// content skipped, which readers should treat as "no annotation". A TIME or TIMESTAMP whose unit is unknown
/// decodes as `.unknown(fieldId: 7)` / `.unknown(fieldId: 8)` for the same reason.
public enum LogicalType: Sendable, Equatable {
    case string, map, list, enumType, decimal(scale: Int32, precision: Int32), date
    case time(isAdjustedToUTC: Bool, unit: TimeUnit), timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
    case integer(bitWidth: Int8, isSigned: Bool), null, json, bson, uuid, float16, variant, geometry, geography
    /// A union member this reader does not know: its content is skipped, its id kept.
    case unknown(fieldId: Int16)

    /// The union field id of this member in parquet.thrift.
    public var fieldId: Int16 {
        switch self {
        case .string: return 1
        case .map: return 2
        case .list: return 3
        case .enumType: return 4
        case .decimal: return 5
        case .date: return 6
        case .time: return 7
        case .timestamp: return 8
        // 9 was INTERVAL, reserved.
        case .integer: return 10
        case .null: return 11  // UNKNOWN in parquet.thrift: always-null column
        case .json: return 12
        case .bson: return 13
        case .uuid: return 14
        case .float16: return 15
        case .variant: return 16
        case .geometry: return 17
        case .geography: return 18
        case .unknown(let id): return id
        }
    }
}

extension LogicalType: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var result: LogicalType?
        while let f = try r.readFieldHeader() {
            // Every member is a struct. Keep the first member seen; skip anything else.
            guard result == nil, f.type == .structure else {
                try r.skip(f.type)
                continue
            }
            switch f.id {
            case 1: result = .string
            case 2: result = .map
            case 3: result = .list
            case 4: result = .enumType
            case 5: result = try LogicalType.readDecimal(&r)
            case 6: result = .date
            case 7: result = try LogicalType.readTime(&r, timestamp: false)
            case 8: result = try LogicalType.readTime(&r, timestamp: true)
            case 10: result = try LogicalType.readInteger(&r)
            case 11: result = .null
            case 12: result = .json
            case 13: result = .bson
            case 14: result = .uuid
            case 15: result = .float16
            // VARIANT (specification_version), GEOMETRY (crs), GEOGRAPHY (crs, algorithm) have only optional
            // details this library does not use; they are skipped.
            case 16: result = .variant
            case 17: result = .geometry
            case 18: result = .geography
            default: result = .unknown(fieldId: f.id)
            }
            switch f.id {
            case 5, 7, 8, 10: break  // content already read
            default: try r.skip(.structure)
            }
        }
        r.endStruct(saved)
        guard let result else { throw r.missing("LogicalType", "(union member)") }
        self = result
    }

    /// DecimalType: 1 required i32 scale, 2 required i32 precision.
    private static func readDecimal(_ r: inout CompactReader) throws -> LogicalType {
        let saved = try r.beginStruct()
        var scale: Int32?
        var precision: Int32?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                scale = try r.readI32()
            case 2 where f.type == .i32:
                precision = try r.readI32()
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let scale else { throw r.missing("DecimalType", "scale") }
        guard let precision else { throw r.missing("DecimalType", "precision") }
        return .decimal(scale: scale, precision: precision)
    }

    /// TimeType / TimestampType: 1 required bool isAdjustedToUTC, 2 required TimeUnit unit.
    private static func readTime(_ r: inout CompactReader, timestamp: Bool) throws -> LogicalType {
        let name = timestamp ? "TimestampType" : "TimeType"
        let saved = try r.beginStruct()
        var utc: Bool?
        var unit: TimeUnit??
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type.isBool:
                utc = f.boolValue
            case 2 where f.type == .structure:
                unit = .some(try TimeUnit.read(from: &r))
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let utc else { throw r.missing(name, "isAdjustedToUTC") }
        guard let unit else { throw r.missing(name, "unit") }
        guard let unit else { return .unknown(fieldId: timestamp ? 8 : 7) }
        return timestamp ? .timestamp(isAdjustedToUTC: utc, unit: unit) : .time(isAdjustedToUTC: utc, unit: unit)
    }

    /// IntType: 1 required i8 bitWidth, 2 required bool isSigned.
    private static func readInteger(_ r: inout CompactReader) throws -> LogicalType {
        let saved = try r.beginStruct()
        var bitWidth: Int8?
        var signed: Bool?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .byte:
                bitWidth = try r.readByte()
            case 2 where f.type.isBool:
                signed = f.boolValue
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let bitWidth else { throw r.missing("IntType", "bitWidth") }
        guard let signed else { throw r.missing("IntType", "isSigned") }
        return .integer(bitWidth: bitWidth, isSigned: signed)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeFieldHeader(fieldId, .structure)
        let m = w.beginStruct()
        switch self {
        case .decimal(let scale, let precision):
            w.writeField(1, i32: scale)
            w.writeField(2, i32: precision)
        case .time(let utc, let unit), .timestamp(let utc, let unit):
            w.writeField(1, bool: utc)
            w.writeFieldHeader(2, .structure)
            unit.write(to: &w)
        case .integer(let bitWidth, let signed):
            w.writeField(1, byte: bitWidth)
            w.writeField(2, bool: signed)
        default:
            break  // an empty member struct
        }
        w.endStruct(m)
        w.endStruct(s)
    }
}
