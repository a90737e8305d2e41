/// One top-level column of a flat schema to write: a name, a physical type, an optional logical type and
/// whether it may hold nulls (OPTIONAL) or not (REQUIRED).
///
/// The writer sets the legacy `converted_type` (and decimal `scale`/`precision`) wherever one exists, as
/// parquet-mr does, so readers that predate logical types still understand the column.
public struct ParquetColumnSpec: Sendable, Equatable {
    public var name: String
    public var physicalType: PhysicalType
    /// STRING, ENUM, JSON, BSON, UUID, FLOAT16, DATE, TIME, TIMESTAMP, DECIMAL or INTEGER; nil for none.
    public var logicalType: LogicalType?
    /// Byte width of FIXED_LEN_BYTE_ARRAY values (required for that type, ignored otherwise).
    public var typeLength: Int?
    /// OPTIONAL (true) or REQUIRED (false).
    public var nullable: Bool
    /// Optional `field_id` (Iceberg and some Spark setups use it).
    public var fieldId: Int32?

    public init(name: String, physicalType: PhysicalType, logicalType: LogicalType? = nil, typeLength: Int? = nil,
                nullable: Bool = true, fieldId: Int32? = nil) {
        self.name = name
        self.physicalType = physicalType
        self.logicalType = logicalType
        self.typeLength = typeLength
        self.nullable = nullable
        self.fieldId = fieldId
    }
}

// MARK: Convenience constructors

extension ParquetColumnSpec {
    public static func boolean(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .boolean, nullable: nullable)
    }
    public static func int32(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .int32, nullable: nullable)
    }
    public static func int64(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .int64, nullable: nullable)
    }
    /// INT96 timestamps as old Spark/Impala write them (nanoseconds of day + Julian day).
    public static func int96(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .int96, nullable: nullable)
    }
    public static func float(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .float, nullable: nullable)
    }
    public static func double(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .double, nullable: nullable)
    }
    /// BYTE_ARRAY without annotation (Spark's BinaryType).
    public static func binary(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .byteArray, nullable: nullable)
    }
    /// BYTE_ARRAY annotated STRING (converted type UTF8).
    public static func string(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .byteArray, logicalType: .string, nullable: nullable)
    }
    /// BYTE_ARRAY annotated JSON.
    public static func json(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .byteArray, logicalType: .json, nullable: nullable)
    }
    /// FIXED_LEN_BYTE_ARRAY of `length` bytes without annotation.
    public static func fixed(_ name: String, length: Int, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .fixedLenByteArray, typeLength: length, nullable: nullable)
    }
    /// FIXED_LEN_BYTE_ARRAY(16) annotated UUID.
    public static func uuid(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .fixedLenByteArray, logicalType: .uuid, typeLength: 16, nullable: nullable)
    }
    /// FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16 (IEEE half precision, little endian).
    public static func float16(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .fixedLenByteArray, logicalType: .float16, typeLength: 2, nullable: nullable)
    }
    /// INT32 days since 1970-01-01.
    public static func date(_ name: String, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .int32, logicalType: .date, nullable: nullable)
    }
    /// INT64 count of `unit` since the epoch; `utc` sets isAdjustedToUTC (an instant rather than a local time).
    public static func timestamp(_ name: String, unit: TimeUnit, utc: Bool = true, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: .int64, logicalType: .timestamp(isAdjustedToUTC: utc, unit: unit), nullable: nullable)
    }
    /// Time of day: INT32 for MILLIS, INT64 for MICROS and NANOS.
    public static func time(_ name: String, unit: TimeUnit, utc: Bool = true, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: unit == .millis ? .int32 : .int64,
             logicalType: .time(isAdjustedToUTC: utc, unit: unit), nullable: nullable)
    }
    /// DECIMAL(precision, scale). The physical type defaults to the smallest that holds `precision` digits as
    /// parquet-mr chooses it: INT32 up to 9 digits, INT64 up to 18, FIXED_LEN_BYTE_ARRAY of the minimal width beyond.
    /// Pass `physicalType` to force another one (e.g. `.fixedLenByteArray` for Spark's legacy format, or `.byteArray`).
    public static func decimal(_ name: String, precision: Int, scale: Int, physicalType: PhysicalType? = nil,
                               nullable: Bool = true) -> Self {
        let physical = physicalType ?? (precision <= 9 ? .int32 : precision <= 18 ? .int64 : .fixedLenByteArray)
        let length = physical == .fixedLenByteArray ? DecimalLimits.minimumBytes(forPrecision: precision) : nil
        return Self(name: name, physicalType: physical,
                    logicalType: .decimal(scale: Int32(clamping: scale), precision: Int32(clamping: precision)),
                    typeLength: length, nullable: nullable)
    }
    /// A sized integer: INT(8/16/32) on INT32, INT(64) on INT64, signed or unsigned.
    public static func integer(_ name: String, bits: Int, signed: Bool = true, nullable: Bool = true) -> Self {
        Self(name: name, physicalType: bits == 64 ? .int64 : .int32,
             logicalType: .integer(bitWidth: Int8(clamping: bits), isSigned: signed), nullable: nullable)
    }
}

// MARK: Decimal limits

enum DecimalLimits {
    /// Most decimal digits a signed two's-complement integer of `bytes` bytes always holds.
    static func maxPrecision(bytes: Int) -> Int {
        guard bytes > 0 else { return 0 }
        // floor(log10(2^(8n-1) - 1)) = floor((8n-1) * log10(2)), exact enough for the widths Parquet uses.
        return Int((Double(8 * bytes - 1) * 0.301_029_995_663_981_2).rounded(.down))
    }

    /// Smallest byte width whose `maxPrecision` reaches `precision`.
    static func minimumBytes(forPrecision precision: Int) -> Int {
        var n = 1
        while maxPrecision(bytes: n) < precision && n < 1 << 16 { n += 1 }
        return n
    }
}

// MARK: Validation and schema elements

/// How min/max statistics of a column are ordered (the column's sort order, refined by physical type).
enum StatisticsOrder: Sendable, Equatable {
    /// No min/max (INT96: sort order undefined).
    case none
    /// false < true.
    case boolean
    /// Two's-complement integers.
    case signed
    /// Integers compared as unsigned (UINT_8 ... UINT_64).
    case unsigned
    /// IEEE floats: NaN skipped, -0.0 written as min and +0.0 as max of a zero.
    case float
    /// IEEE half floats in FIXED_LEN_BYTE_ARRAY(2).
    case float16
    /// Byte strings compared as unsigned bytes, lexicographically.
    case unsignedBytes
    /// Big-endian two's-complement decimals of any width.
    case signedDecimalBytes
}

/// A validated column: the spec plus everything derived from it.
struct ResolvedColumn: Sendable {
    let spec: ParquetColumnSpec
    let index: Int
    let element: SchemaElement
    /// Byte width for FIXED_LEN_BYTE_ARRAY (0 otherwise).
    let width: Int
    let order: StatisticsOrder
    /// Value range check for narrow and decimal integers, if any.
    let int32Range: ClosedRange<Int64>?
    let int64Range: ClosedRange<Int64>?
    /// Whether the legacy `min`/`max` statistics fields may be written (signed sort order, as parquet-mr and Arrow do).
    let writesLegacyMinMax: Bool
    /// Names from the root's child down to this leaf.
    let path: [String]
    let maxDefinitionLevel: Int
    let maxRepetitionLevel: Int
    /// For each repeated ancestor (outermost first, the leaf itself included when repeated), the definition level
    /// at which it holds an element: an entry with repetition level r must reach at least entry r - 1.
    var repeatedAncestorDefinitionLevels: [Int] = []

    var name: String { spec.name }
    var dottedPath: String { path.joined(separator: ".") }
    var physical: PhysicalType { spec.physicalType }

    /// A top-level column, OPTIONAL when `spec.nullable`.
    init(_ spec: ParquetColumnSpec, index: Int) throws {
        try self.init(spec, index: index, path: [spec.name], repetition: spec.nullable ? .optional : .required,
                      maxDefinitionLevel: spec.nullable ? 1 : 0, maxRepetitionLevel: 0)
    }

    /// A leaf anywhere in the schema tree.
    init(_ spec: ParquetColumnSpec, index: Int, path: [String], repetition: Repetition, maxDefinitionLevel: Int,
         maxRepetitionLevel: Int) throws {
        self.spec = spec
        self.index = index
        self.path = path
        self.maxDefinitionLevel = maxDefinitionLevel
        self.maxRepetitionLevel = maxRepetitionLevel
        let name = path.joined(separator: ".")
        func invalid(_ message: String) -> ParquetError {
            ParquetError.invalidSchema("column \(index) '\(name)': \(message)")
        }
        guard !spec.name.isEmpty else { throw invalid("the column name is empty") }
        guard maxDefinitionLevel <= ParquetSchema.maxLevel, maxRepetitionLevel <= ParquetSchema.maxLevel else {
            throw invalid("too many nested levels")
        }
        let physical = spec.physicalType

        // Fixed width.
        var width = 0
        if physical == .fixedLenByteArray {
            guard let length = spec.typeLength else { throw invalid("FIXED_LEN_BYTE_ARRAY needs a typeLength") }
            guard length > 0, length <= 1 << 20 else {
                throw invalid("FIXED_LEN_BYTE_ARRAY typeLength \(length) is out of range (1...\(1 << 20))")
            }
            width = length
        } else if let length = spec.typeLength {
            throw invalid("typeLength \(length) is only valid for FIXED_LEN_BYTE_ARRAY, not \(physical)")
        }

        var converted: ConvertedType?
        var scale: Int32?
        var precision: Int32?
        var order: StatisticsOrder
        switch physical {
        case .boolean: order = .boolean
        case .int32, .int64: order = .signed
        case .int96: order = .none
        case .float, .double: order = .float
        case .byteArray, .fixedLenByteArray: order = .unsignedBytes
        }
        var int32Range: ClosedRange<Int64>?
        var int64Range: ClosedRange<Int64>?

        if let logical = spec.logicalType {
            func require(_ allowed: Set<PhysicalType>, _ what: String) throws {
                guard allowed.contains(physical) else {
                    throw invalid("logical type \(what) cannot annotate \(physical) (allowed: \(allowed.map(\.description).sorted().joined(separator: ", ")))")
                }
            }
            switch logical {
            case .string:
                try require([.byteArray], "STRING")
                converted = .utf8
            case .enumType:
                try require([.byteArray], "ENUM")
                converted = .enumType
            case .json:
                try require([.byteArray], "JSON")
                converted = .json
            case .bson:
                try require([.byteArray], "BSON")
                converted = .bson
            case .uuid:
                try require([.fixedLenByteArray], "UUID")
                guard width == 16 else { throw invalid("UUID needs FIXED_LEN_BYTE_ARRAY(16), not (\(width))") }
            case .float16:
                try require([.fixedLenByteArray], "FLOAT16")
                guard width == 2 else { throw invalid("FLOAT16 needs FIXED_LEN_BYTE_ARRAY(2), not (\(width))") }
                order = .float16
            case .date:
                try require([.int32], "DATE")
                converted = .date
            case .time(let utc, let unit):
                if unit == .millis {
                    try require([.int32], "TIME(MILLIS)")
                    int32Range = 0...86_399_999
                } else {
                    try require([.int64], "TIME(\(unit == .micros ? "MICROS" : "NANOS"))")
                    int64Range = 0...(unit == .micros ? 86_399_999_999 : 86_399_999_999_999)
                }
                // The legacy TIME_MILLIS / TIME_MICROS mean UTC-adjusted times; local times get none.
                if utc { converted = unit == .millis ? .timeMillis : unit == .micros ? .timeMicros : nil }
            case .timestamp(let utc, let unit):
                try require([.int64], "TIMESTAMP")
                // The legacy TIMESTAMP_MILLIS / _MICROS mean UTC-adjusted instants; local timestamps get none.
                if utc { converted = unit == .millis ? .timestampMillis : unit == .micros ? .timestampMicros : nil }
            case .decimal(let s, let p):
                try require([.int32, .int64, .fixedLenByteArray, .byteArray], "DECIMAL")
                guard p >= 1 else { throw invalid("DECIMAL precision \(p) must be at least 1") }
                guard s >= 0, s <= p else { throw invalid("DECIMAL scale \(s) must be within 0...precision (\(p))") }
                let maxDigits: Int
                switch physical {
                case .int32: maxDigits = 9
                case .int64: maxDigits = 18
                case .fixedLenByteArray: maxDigits = DecimalLimits.maxPrecision(bytes: width)
                default: maxDigits = Int(Int32.max)
                }
                guard Int(p) <= maxDigits else {
                    throw invalid("DECIMAL precision \(p) does not fit \(physical)\(physical == .fixedLenByteArray ? "(\(width))" : "") (at most \(maxDigits) digits)")
                }
                converted = .decimal
                scale = s
                precision = p
                order = physical == .int32 || physical == .int64 ? .signed : .signedDecimalBytes
                if physical == .int32 || physical == .int64 {
                    var limit: Int64 = 1
                    for _ in 0..<Int(p) { limit *= 10 }
                    let range = (-limit + 1)...(limit - 1)
                    if physical == .int32 { int32Range = range } else { int64Range = range }
                }
            case .integer(let bits, let signed):
                switch bits {
                case 8, 16, 32: try require([.int32], "INT(\(bits))")
                case 64: try require([.int64], "INT(64)")
                default: throw invalid("INTEGER bit width \(bits) must be 8, 16, 32 or 64")
                }
                switch (bits, signed) {
                case (8, true): converted = .int8; int32Range = -128...127
                case (16, true): converted = .int16; int32Range = -32768...32767
                case (32, true): converted = .int32
                case (64, true): converted = .int64
                case (8, false): converted = .uint8; int32Range = 0...255
                case (16, false): converted = .uint16; int32Range = 0...65535
                case (32, false): converted = .uint32
                default: converted = .uint64
                }
                if !signed { order = .unsigned }
            case .map, .list, .variant, .geometry, .geography:
                throw invalid("logical type \(logical) annotates a group or needs a layout the writer does not write, not a primitive column")
            case .null, .unknown:
                throw invalid("logical type \(logical) is not supported by the writer")
            }
        }
        self.width = width
        self.order = order
        self.int32Range = int32Range
        self.int64Range = int64Range
        self.writesLegacyMinMax = (order == .signed || order == .float || order == .boolean)
            && [.boolean, .int32, .int64, .float, .double].contains(physical)
        self.element = SchemaElement(
            type: physical, typeLength: physical == .fixedLenByteArray ? Int32(width) : nil,
            repetitionType: repetition, name: spec.name, convertedType: converted,
            scale: scale, precision: precision, fieldId: spec.fieldId, logicalType: spec.logicalType)
    }
}

// MARK: From a file being read

extension ParquetColumnSpec {
    /// The spec of a flat leaf column of a file being read, to write its values again (transcoding, fixtures).
    /// A legacy converted type without a logical type becomes the equivalent logical type; an unknown logical type
    /// is dropped (readers ignore it too). Throws for nested or repeated columns and for annotations the writer
    /// does not write (INTERVAL, MAP, LIST).
    public init(column: ColumnDescriptor) throws {
        guard column.path.count == 1, column.maxRepetitionLevel == 0, column.maxDefinitionLevel <= 1 else {
            throw ParquetError.invalidSchema("column '\(column.dottedPath)' is nested or repeated; describe it with ParquetSchemaNode.fields(of:)")
        }
        try self.init(leaf: column)
        nullable = column.maxDefinitionLevel == 1
    }

    /// The types of any leaf column (named by its last path component); `nullable` is left true, since in a
    /// nested schema the node's repetition decides.
    public init(leaf column: ColumnDescriptor) throws {
        let e = column.element
        var logical = e.logicalType
        if case .unknown? = logical { logical = nil }
        if logical == nil, let converted = e.convertedType {
            switch converted {
            case .utf8: logical = .string
            case .enumType: logical = .enumType
            case .json: logical = .json
            case .bson: logical = .bson
            case .date: logical = .date
            case .decimal:
                guard let precision = e.precision else {
                    throw ParquetError.invalidSchema("column '\(column.dottedPath)': DECIMAL without a precision")
                }
                logical = .decimal(scale: e.scale ?? 0, precision: precision)
            case .timeMillis: logical = .time(isAdjustedToUTC: true, unit: .millis)
            case .timeMicros: logical = .time(isAdjustedToUTC: true, unit: .micros)
            case .timestampMillis: logical = .timestamp(isAdjustedToUTC: true, unit: .millis)
            case .timestampMicros: logical = .timestamp(isAdjustedToUTC: true, unit: .micros)
            case .int8: logical = .integer(bitWidth: 8, isSigned: true)
            case .int16: logical = .integer(bitWidth: 16, isSigned: true)
            case .int32: logical = .integer(bitWidth: 32, isSigned: true)
            case .int64: logical = .integer(bitWidth: 64, isSigned: true)
            case .uint8: logical = .integer(bitWidth: 8, isSigned: false)
            case .uint16: logical = .integer(bitWidth: 16, isSigned: false)
            case .uint32: logical = .integer(bitWidth: 32, isSigned: false)
            case .uint64: logical = .integer(bitWidth: 64, isSigned: false)
            case .interval, .map, .mapKeyValue, .list:
                throw ParquetError.invalidSchema("column '\(column.dottedPath)': converted type \(converted) is not supported by the writer")
            }
        }
        self.init(name: column.path.last ?? e.name, physicalType: column.physicalType, logicalType: logical,
                  typeLength: column.physicalType == .fixedLenByteArray ? column.typeLength : nil,
                  nullable: true, fieldId: e.fieldId)
    }
}
