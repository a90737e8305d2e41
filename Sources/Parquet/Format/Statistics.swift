/// `Statistics` of a column chunk or page. `max`/`min` are the deprecated fields (sort order of signed bytes,
/// written by old writers); `maxValue`/`minValue` are their replacements.
public struct Statistics: Sendable, Equatable {
    public var max: [UInt8]?  // 1
    public var min: [UInt8]?  // 2
    public var nullCount: Int64?  // 3
    public var distinctCount: Int64?  // 4
    public var maxValue: [UInt8]?  // 5
    public var minValue: [UInt8]?  // 6
    public var isMaxValueExact: Bool?  // 7
    public var isMinValueExact: Bool?  // 8

    public init(
        max: [UInt8]? = nil, min: [UInt8]? = nil, nullCount: Int64? = nil, distinctCount: Int64? = nil,
        maxValue: [UInt8]? = nil, minValue: [UInt8]? = nil, isMaxValueExact: Bool? = nil,
        isMinValueExact: Bool? = nil
    ) {
        self.max = max
        self.min = min
        self.nullCount = nullCount
        self.distinctCount = distinctCount
        self.maxValue = maxValue
        self.minValue = minValue
        self.isMaxValueExact = isMaxValueExact
        self.isMinValueExact = isMinValueExact
    }
}

extension Statistics: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        self.init()
        let saved = try r.beginStruct()
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .binary:
                max = try r.readBinary()
            case 2 where f.type == .binary:
                min = try r.readBinary()
            case 3 where f.type == .i64:
                nullCount = try r.readI64()
            case 4 where f.type == .i64:
                distinctCount = try r.readI64()
            case 5 where f.type == .binary:
                maxValue = try r.readBinary()
            case 6 where f.type == .binary:
                minValue = try r.readBinary()
            case 7 where f.type.isBool:
                isMaxValueExact = f.boolValue
            case 8 where f.type.isBool:
                isMinValueExact = f.boolValue
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, binary: max)
        w.writeField(2, binary: min)
        w.writeField(3, i64: nullCount)
        w.writeField(4, i64: distinctCount)
        w.writeField(5, binary: maxValue)
        w.writeField(6, binary: minValue)
        w.writeField(7, bool: isMaxValueExact)
        w.writeField(8, bool: isMinValueExact)
        w.endStruct(s)
    }
}
