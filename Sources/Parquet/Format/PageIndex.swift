/// `BoundaryOrder`: how the pages' min/max values of a `ColumnIndex` are ordered.
public enum BoundaryOrder: Int32, Sendable, CaseIterable {
    case unordered = 0
    case ascending = 1
    case descending = 2
}

/// `PageLocation`: where one data page of a column chunk is.
public struct PageLocation: Sendable, Equatable {
    /// File offset of the page header.
    public var offset: Int64  // 1
    /// Page header plus compressed page body, in bytes.
    public var compressedPageSize: Int32  // 2
    /// Index, within the row group, of the page's first row.
    public var firstRowIndex: Int64  // 3

    public init(offset: Int64, compressedPageSize: Int32, firstRowIndex: Int64) {
        self.offset = offset
        self.compressedPageSize = compressedPageSize
        self.firstRowIndex = firstRowIndex
    }
}

extension PageLocation: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var offset: Int64?
        var size: Int32?
        var first: Int64?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i64: offset = try r.readI64()
            case 2 where f.type == .i32: size = try r.readI32()
            case 3 where f.type == .i64: first = try r.readI64()
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let offset else { throw r.missing("PageLocation", "offset") }
        guard let size else { throw r.missing("PageLocation", "compressed_page_size") }
        guard let first else { throw r.missing("PageLocation", "first_row_index") }
        self.init(offset: offset, compressedPageSize: size, firstRowIndex: first)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i64: offset)
        w.writeField(2, i32: compressedPageSize)
        w.writeField(3, i64: firstRowIndex)
        w.endStruct(s)
    }
}

/// `OffsetIndex`: the location of every data page of a column chunk (the page index's second half).
public struct OffsetIndex: Sendable, Equatable {
    public var pageLocations: [PageLocation]  // 1
    /// Per page, the bytes of BYTE_ARRAY values before encoding (optional).
    public var unencodedByteArrayDataBytes: [Int64]?  // 2

    public init(pageLocations: [PageLocation], unencodedByteArrayDataBytes: [Int64]? = nil) {
        self.pageLocations = pageLocations
        self.unencodedByteArrayDataBytes = unencodedByteArrayDataBytes
    }
}

extension OffsetIndex: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var locations: [PageLocation]?
        var unencoded: [Int64]?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .list:
                locations = try r.readList("OffsetIndex.page_locations", of: .structure) { try PageLocation(from: &$0) }
            case 2 where f.type == .list:
                unencoded = try r.readList("OffsetIndex.unencoded_byte_array_data_bytes", of: .i64) { try $0.readI64() }
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let locations else { throw r.missing("OffsetIndex", "page_locations") }
        self.init(pageLocations: locations, unencodedByteArrayDataBytes: unencoded)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, structs: pageLocations)
        if let unencodedByteArrayDataBytes {
            w.writeField(2, list: unencodedByteArrayDataBytes, of: .i64) { $0.writeI64($1) }
        }
        w.endStruct(s)
    }
}

/// `ColumnIndex`: per data page of a column chunk, whether it holds only nulls, its min and max (encoded as in
/// `Statistics`) and its null count, so a reader can skip pages (the page index's first half).
public struct ColumnIndex: Sendable, Equatable {
    public var nullPages: [Bool]  // 1
    /// Empty for an all-null page.
    public var minValues: [[UInt8]]  // 2
    public var maxValues: [[UInt8]]  // 3
    public var boundaryOrder: BoundaryOrder  // 4
    public var nullCounts: [Int64]?  // 5
    // 6 repetition_level_histograms and 7 definition_level_histograms are not written.

    public init(nullPages: [Bool], minValues: [[UInt8]], maxValues: [[UInt8]], boundaryOrder: BoundaryOrder,
                nullCounts: [Int64]? = nil) {
        self.nullPages = nullPages
        self.minValues = minValues
        self.maxValues = maxValues
        self.boundaryOrder = boundaryOrder
        self.nullCounts = nullCounts
    }
}

extension ColumnIndex: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var nullPages: [Bool]?
        var mins: [[UInt8]]?
        var maxs: [[UInt8]]?
        var order: Int32?
        var nullCounts: [Int64]?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .list:
                nullPages = try r.readList("ColumnIndex.null_pages", of: .boolTrue) { try $0.readBoolElement() }
            case 2 where f.type == .list:
                mins = try r.readList("ColumnIndex.min_values", of: .binary) { try $0.readBinary() }
            case 3 where f.type == .list:
                maxs = try r.readList("ColumnIndex.max_values", of: .binary) { try $0.readBinary() }
            case 4 where f.type == .i32:
                order = try r.readI32()
            case 5 where f.type == .list:
                nullCounts = try r.readList("ColumnIndex.null_counts", of: .i64) { try $0.readI64() }
            default: try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let nullPages else { throw r.missing("ColumnIndex", "null_pages") }
        guard let mins else { throw r.missing("ColumnIndex", "min_values") }
        guard let maxs else { throw r.missing("ColumnIndex", "max_values") }
        guard let order else { throw r.missing("ColumnIndex", "boundary_order") }
        guard let boundary = BoundaryOrder(rawValue: order) else {
            throw r.fail("ColumnIndex.boundary_order \(order) is not 0, 1 or 2")
        }
        guard mins.count == nullPages.count, maxs.count == nullPages.count,
              nullCounts.map({ $0.count == nullPages.count }) ?? true else {
            throw r.fail("ColumnIndex lists differ in length (null_pages \(nullPages.count), min_values \(mins.count), max_values \(maxs.count))")
        }
        self.init(nullPages: nullPages, minValues: mins, maxValues: maxs, boundaryOrder: boundary, nullCounts: nullCounts)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, list: nullPages, of: .boolTrue) { $0.writeBoolElement($1) }
        w.writeField(2, list: minValues, of: .binary) { $0.writeBinary($1) }
        w.writeField(3, list: maxValues, of: .binary) { $0.writeBinary($1) }
        w.writeField(4, i32: boundaryOrder.rawValue)
        if let nullCounts {
            w.writeField(5, list: nullCounts, of: .i64) { $0.writeI64($1) }
        }
        w.endStruct(s)
    }
}

extension ColumnIndex {
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> ColumnIndex {
        var r = CompactReader(bytes)
        return try ColumnIndex(from: &r)
    }

    public func encoded() -> [UInt8] {
        var w = CompactWriter(capacity: 256)
        write(to: &w)
        return w.bytes
    }
}

extension OffsetIndex {
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> OffsetIndex {
        var r = CompactReader(bytes)
        return try OffsetIndex(from: &r)
    }

    public func encoded() -> [UInt8] {
        var w = CompactWriter(capacity: 256)
        write(to: &w)
        return w.bytes
    }
}
