/// `SortingColumn`: a column the rows of a row group are sorted by.
public struct SortingColumn: Sendable, Equatable {
    /// Index of the column (leaf) in the row group's `columns`.
    public var columnIdx: Int32  // 1
    public var descending: Bool  // 2
    public var nullsFirst: Bool  // 3

    public init(columnIdx: Int32, descending: Bool, nullsFirst: Bool) {
        self.columnIdx = columnIdx
        self.descending = descending
        self.nullsFirst = nullsFirst
    }
}

extension SortingColumn: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var columnIdx: Int32?
        var descending: Bool?
        var nullsFirst: Bool?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                columnIdx = try r.readI32()
            case 2 where f.type.isBool:
                descending = f.boolValue
            case 3 where f.type.isBool:
                nullsFirst = f.boolValue
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let columnIdx else { throw r.missing("SortingColumn", "column_idx") }
        guard let descending else { throw r.missing("SortingColumn", "descending") }
        guard let nullsFirst else { throw r.missing("SortingColumn", "nulls_first") }
        self.init(columnIdx: columnIdx, descending: descending, nullsFirst: nullsFirst)
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: columnIdx)
        w.writeField(2, bool: descending)
        w.writeField(3, bool: nullsFirst)
        w.endStruct(s)
    }
}

/// `RowGroup`.
public struct RowGroup: Sendable, Equatable {
    public var columns: [ColumnChunk]  // 1
    /// Total uncompressed byte size of all the column data.
    public var totalByteSize: Int64  // 2
    public var numRows: Int64  // 3
    public var sortingColumns: [SortingColumn]?  // 4
    public var fileOffset: Int64?  // 5
    public var totalCompressedSize: Int64?  // 6
    public var ordinal: Int16?  // 7

    public init(
        columns: [ColumnChunk], totalByteSize: Int64, numRows: Int64, sortingColumns: [SortingColumn]? = nil,
        fileOffset: Int64? = nil, totalCompressedSize: Int64? = nil, ordinal: Int16? = nil
    ) {
        self.columns = columns
        self.totalByteSize = totalByteSize
        self.numRows = numRows
        self.sortingColumns = sortingColumns
        self.fileOffset = fileOffset
        self.totalCompressedSize = totalCompressedSize
        self.ordinal = ordinal
    }
}

extension RowGroup: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var columns: [ColumnChunk]?
        var totalByteSize: Int64?
        var numRows: Int64?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .list:
                columns = try r.readList("RowGroup.columns", of: .structure) { try ColumnChunk(from: &$0) }
            case 2 where f.type == .i64:
                totalByteSize = try r.readI64()
            case 3 where f.type == .i64:
                numRows = try r.readI64()
            case 4 where f.type == .list:
                sortingColumns = try r.readList("RowGroup.sorting_columns", of: .structure) {
                    try SortingColumn(from: &$0)
                }
            case 5 where f.type == .i64:
                fileOffset = try r.readI64()
            case 6 where f.type == .i64:
                totalCompressedSize = try r.readI64()
            case 7 where f.type == .i16:
                ordinal = try r.readI16()
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let columns else { throw r.missing("RowGroup", "columns") }
        guard let totalByteSize else { throw r.missing("RowGroup", "total_byte_size") }
        guard let numRows else { throw r.missing("RowGroup", "num_rows") }
        self.columns = columns
        self.totalByteSize = totalByteSize
        self.numRows = numRows
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, structs: columns)
        w.writeField(2, i64: totalByteSize)
        w.writeField(3, i64: numRows)
        w.writeField(4, structs: sortingColumns)
        w.writeField(5, i64: fileOffset)
        w.writeField(6, i64: totalCompressedSize)
        w.writeField(7, i16: ordinal)
        w.endStruct(s)
    }
}

/// `ColumnOrder`: how min/max statistics of a column are ordered (a union; 1 TYPE_ORDER is the only member).
public enum ColumnOrder: Sendable, Equatable {
    /// TYPE_ORDER: the order defined by the column's logical/physical type.
    case typeDefined
    /// A member this reader does not know; statistics of the column should not be trusted for ordering.
    case unknown(fieldId: Int16)
}

extension ColumnOrder: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var result: ColumnOrder?
        while let f = try r.readFieldHeader() {
            if result == nil && f.type == .structure {
                result = f.id == 1 ? .typeDefined : .unknown(fieldId: f.id)
            }
            try r.skip(f.type)
        }
        r.endStruct(saved)
        guard let result else { throw r.missing("ColumnOrder", "(union member)") }
        self = result
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        switch self {
        case .typeDefined: w.writeFieldHeader(1, .structure)
        case .unknown(let id): w.writeFieldHeader(id, .structure)
        }
        let m = w.beginStruct()
        w.endStruct(m)
        w.endStruct(s)
    }
}

/// `FileMetaData`: the footer of a Parquet file.
public struct FileMetaData: Sendable, Equatable {
    public var version: Int32  // 1
    /// The schema tree flattened depth-first; element 0 is the root.
    public var schema: [SchemaElement]  // 2
    public var numRows: Int64  // 3
    public var rowGroups: [RowGroup]  // 4
    public var keyValueMetadata: [KeyValue]?  // 5
    public var createdBy: String?  // 6
    /// One per leaf column, in schema order, when present.
    public var columnOrders: [ColumnOrder]?  // 7
    // 8 encryption_algorithm and 9 footer_signing_key_metadata are skipped.

    public init(
        version: Int32, schema: [SchemaElement], numRows: Int64, rowGroups: [RowGroup],
        keyValueMetadata: [KeyValue]? = nil, createdBy: String? = nil, columnOrders: [ColumnOrder]? = nil
    ) {
        self.version = version
        self.schema = schema
        self.numRows = numRows
        self.rowGroups = rowGroups
        self.keyValueMetadata = keyValueMetadata
        self.createdBy = createdBy
        self.columnOrders = columnOrders
    }
}

extension FileMetaData: ThriftStruct {
    public init(from r: inout CompactReader) throws {
        let saved = try r.beginStruct()
        var version: Int32?
        var schema: [SchemaElement]?
        var numRows: Int64?
        var rowGroups: [RowGroup]?
        while let f = try r.readFieldHeader() {
            switch f.id {
            case 1 where f.type == .i32:
                version = try r.readI32()
            case 2 where f.type == .list:
                schema = try r.readList("FileMetaData.schema", of: .structure) { try SchemaElement(from: &$0) }
            case 3 where f.type == .i64:
                numRows = try r.readI64()
            case 4 where f.type == .list:
                rowGroups = try r.readList("FileMetaData.row_groups", of: .structure) { try RowGroup(from: &$0) }
            case 5 where f.type == .list:
                keyValueMetadata = try r.readList("FileMetaData.key_value_metadata", of: .structure) {
                    try KeyValue(from: &$0)
                }
            case 6 where f.type == .binary:
                createdBy = try r.readString()
            case 7 where f.type == .list:
                columnOrders = try r.readList("FileMetaData.column_orders", of: .structure) {
                    try ColumnOrder(from: &$0)
                }
            default:
                try r.skip(f.type)
            }
        }
        r.endStruct(saved)
        guard let version else { throw r.missing("FileMetaData", "version") }
        guard let schema else { throw r.missing("FileMetaData", "schema") }
        guard let numRows else { throw r.missing("FileMetaData", "num_rows") }
        guard let rowGroups else { throw r.missing("FileMetaData", "row_groups") }
        self.version = version
        self.schema = schema
        self.numRows = numRows
        self.rowGroups = rowGroups
    }

    public func write(to w: inout CompactWriter) {
        let s = w.beginStruct()
        w.writeField(1, i32: version)
        w.writeField(2, structs: schema)
        w.writeField(3, i64: numRows)
        w.writeField(4, structs: rowGroups)
        w.writeField(5, structs: keyValueMetadata)
        w.writeField(6, string: createdBy)
        w.writeField(7, structs: columnOrders)
        w.endStruct(s)
    }

    /// Decodes a footer: `bytes` is exactly the serialized FileMetaData (trailing bytes are ignored).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FileMetaData {
        var r = CompactReader(bytes)
        return try FileMetaData(from: &r)
    }

    public func encoded() -> [UInt8] {
        var w = CompactWriter(capacity: 1024)
        write(to: &w)
        return w.bytes
    }
}
