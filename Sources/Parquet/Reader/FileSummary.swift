import Compression

/// What `backfill schema` shows about a file, as a JSON-ready value: the schema tree, row groups,
/// column chunks (codec, encodings, sizes, statistics) and key-value metadata.
public enum FileSummary {
    public static func describe(_ reader: ParquetFileReader) -> RowValue {
        let m = reader.metadata
        var fields: [(String, RowValue)] = [
            ("file", .string(reader.source.name)),
            ("size", .int(reader.source.size)),
            ("version", .int(Int64(m.version))),
            ("created_by", m.createdBy.map(RowValue.string) ?? .null),
            ("rows", .int(m.numRows)),
            ("footer_bytes", .int(Int64(reader.footerLength))),
            ("schema", node(reader.schema.root)),
        ]
        fields.append(("row_groups", .array(m.rowGroups.enumerated().map { g, group in
            .object([
                ("index", .int(Int64(g))),
                ("rows", .int(group.numRows)),
                ("total_byte_size", .int(group.totalByteSize)),
                ("compressed_bytes", .int(group.columns.reduce(0) { $0 + ($1.metaData?.totalCompressedSize ?? 0) })),
                ("sorting_columns", group.sortingColumns.map { cols in
                    .array(cols.map { .object([("column", .int(Int64($0.columnIdx))), ("descending", .bool($0.descending)), ("nulls_first", .bool($0.nullsFirst))]) })
                } ?? .null),
                ("columns", .array(group.columns.enumerated().map { c, chunk in column(chunk, reader.schema.columns[c]) })),
            ])
        })))
        fields.append(("key_value_metadata", keyValues(m.keyValueMetadata)))
        return .object(fields)
    }

    static func keyValues(_ kvs: [KeyValue]?) -> RowValue {
        guard let kvs else { return .array([]) }
        return .array(kvs.map { .object([("key", .string($0.key)), ("value", $0.value.map(RowValue.string) ?? .null)]) })
    }

    static func node(_ n: SchemaNode) -> RowValue {
        let e = n.element
        var f: [(String, RowValue)] = [("name", .string(e.name))]
        if !n.path.isEmpty { f.append(("repetition", .string("\(n.repetition)".uppercased()))) }
        if let t = e.type { f.append(("physical_type", .string(physicalName(t)))) }
        if let l = e.typeLength, e.type == .fixedLenByteArray { f.append(("type_length", .int(Int64(l)))) }
        if let l = e.logicalType { f.append(("logical_type", .string(logicalName(l)))) }
        if let c = e.convertedType { f.append(("converted_type", .string("\(c)"))) }
        if let s = e.scale, e.convertedType == .decimal { f.append(("scale", .int(Int64(s)))) }
        if let p = e.precision, e.convertedType == .decimal { f.append(("precision", .int(Int64(p)))) }
        if let id = e.fieldId { f.append(("field_id", .int(Int64(id)))) }
        if n.leafIndex != nil {
            f.append(("max_definition_level", .int(Int64(n.definitionLevel))))
            f.append(("max_repetition_level", .int(Int64(n.repetitionLevel))))
        }
        if !n.children.isEmpty { f.append(("children", .array(n.children.map(node)))) }
        return .object(f)
    }

    public static func physicalName(_ t: PhysicalType) -> String {
        switch t {
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

    public static func logicalName(_ l: LogicalType) -> String {
        switch l {
        case .string: return "STRING"
        case .map: return "MAP"
        case .list: return "LIST"
        case .enumType: return "ENUM"
        case .decimal(let s, let p): return "DECIMAL(\(p),\(s))"
        case .date: return "DATE"
        case .time(let utc, let unit): return "TIME(\(unit),\(utc ? "UTC" : "local"))"
        case .timestamp(let utc, let unit): return "TIMESTAMP(\(unit),\(utc ? "UTC" : "local"))"
        case .integer(let bits, let signed): return "INT(\(bits),\(signed ? "signed" : "unsigned"))"
        case .null: return "NULL"
        case .json: return "JSON"
        case .bson: return "BSON"
        case .uuid: return "UUID"
        case .float16: return "FLOAT16"
        case .variant: return "VARIANT"
        case .geometry: return "GEOMETRY"
        case .geography: return "GEOGRAPHY"
        case .unknown(let id): return "UNKNOWN(\(id))"
        }
    }

    static func column(_ chunk: ColumnChunk, _ d: ColumnDescriptor) -> RowValue {
        guard let meta = chunk.metaData else { return .object([("path", .string(d.dottedPath))]) }
        var f: [(String, RowValue)] = [
            ("path", .string(d.dottedPath)),
            ("type", .string(physicalName(meta.type))),
            ("codec", .string(CompressionCodec(rawValue: meta.codecRaw)?.name ?? "UNKNOWN(\(meta.codecRaw))")),
            ("encodings", .array(meta.encodings.map { .string("\($0)") })),
            ("values", .int(meta.numValues)),
            ("compressed_bytes", .int(meta.totalCompressedSize)),
            ("uncompressed_bytes", .int(meta.totalUncompressedSize)),
            ("data_page_offset", .int(meta.dataPageOffset)),
            ("dictionary_page_offset", meta.dictionaryPageOffset.map(RowValue.int) ?? .null),
        ]
        if let stats = meta.statistics {
            var s: [(String, RowValue)] = []
            s.append(("null_count", stats.nullCount.map(RowValue.int) ?? .null))
            if let dc = stats.distinctCount { s.append(("distinct_count", .int(dc))) }
            s.append(("min", statValue(stats.minValue ?? stats.min, d)))
            s.append(("max", statValue(stats.maxValue ?? stats.max, d)))
            f.append(("statistics", .object(s)))
        }
        if let kv = meta.keyValueMetadata { f.append(("key_value_metadata", keyValues(kv))) }
        if let stats = meta.encodingStats {
            f.append(("encoding_stats", .array(stats.map { .object([("page_type", .string("\($0.pageType)")), ("encoding", .string("\($0.encoding)")), ("count", .int(Int64($0.count)))]) })))
        }
        return .object(f)
    }

    /// A statistics value (PLAIN-encoded bytes) shown like `cat` shows values.
    public static func statValue(_ bytes: [UInt8]?, _ d: ColumnDescriptor) -> RowValue {
        guard let bytes else { return .null }
        let data: ColumnData?
        func le<T: FixedWidthInteger>(_ type: T.Type) -> T? {
            guard bytes.count == MemoryLayout<T>.size else { return nil }
            return bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        switch d.physicalType {
        case .boolean: data = bytes.count == 1 ? .boolean([bytes[0] != 0]) : nil
        case .int32: data = le(Int32.self).map { .int32([$0]) }
        case .int64: data = le(Int64.self).map { .int64([$0]) }
        case .int96:
            data = bytes.count == 12 ? .int96([Int96(nanosOfDay: bytes[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) },
                                                    julianDay: bytes[8..<12].reversed().reduce(0) { $0 << 8 | UInt32($1) })]) : nil
        case .float: data = le(UInt32.self).map { .float([Float(bitPattern: $0)]) }
        case .double: data = le(UInt64.self).map { .double([Double(bitPattern: $0)]) }
        case .byteArray: data = .byteArray(ByteArrays(offsets: [0, bytes.count], bytes: bytes))
        case .fixedLenByteArray: data = .fixedLenByteArray(FixedByteArrays(width: bytes.count, bytes: bytes))
        }
        guard let data else { return .string(Base64.encode(bytes)) }
        return ValueFormatter.format(data, 0, ValueKind(d))
    }
}
