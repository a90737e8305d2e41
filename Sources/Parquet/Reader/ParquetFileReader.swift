import Compression

/// An open Parquet file: its footer is parsed; column chunks are read on demand through the byte source.
public struct ParquetFileReader: Sendable {
    public let source: any ByteSource
    public let metadata: FileMetaData
    public let schema: ParquetSchema
    public let options: ReadOptions
    /// Size of the footer (metadata + 8 bytes), for `schema` output.
    public let footerLength: Int

    /// Bytes read speculatively from the end of the file to get the footer in one request.
    static let footerPrefetch = 64 * 1024
    /// Footers larger than this are refused (a corrupt length).
    static let maxFooterLength = 256 << 20
    /// Old parquet-mr files (PARQUET-816) may state a chunk length a few bytes short; read this much more if the file has it.
    static let chunkSlack = 100

    /// Opens a file: reads and validates the footer and schema.
    public static func open(_ source: any ByteSource, options: ReadOptions = ReadOptions()) async throws -> ParquetFileReader {
        let size = source.size
        guard size >= 12 else {
            throw ParquetError.notParquet("\(source.name): not a Parquet file (\(size) bytes is too small)")
        }
        let tailLength = Int(min(size, Int64(footerPrefetch)))
        var tail = try await source.read(offset: size - Int64(tailLength), length: tailLength)
        guard tail.suffix(4).elementsEqual(ParquetFormat.magic) else {
            throw ParquetError.notParquet("\(source.name): not a Parquet file (no PAR1 magic at the end, byte \(size - 4))")
        }
        let head = try await source.read(offset: 0, length: 4)
        guard head == ParquetFormat.magic else {
            throw ParquetError.notParquet("\(source.name): not a Parquet file (no PAR1 magic at byte 0)")
        }
        let n = tail.count
        let metaLength = Int(UInt32(tail[n - 8]) | UInt32(tail[n - 7]) << 8 | UInt32(tail[n - 6]) << 16 | UInt32(tail[n - 5]) << 24)
        guard metaLength > 0, Int64(metaLength) <= size - 12, metaLength <= maxFooterLength else {
            throw ParquetError.notParquet("\(source.name): footer length \(metaLength) is impossible for a file of \(size) bytes (byte \(size - 8))")
        }
        let metaStart = size - 8 - Int64(metaLength)
        if metaLength + 8 > tail.count {
            tail = try await source.read(offset: metaStart, length: metaLength + 8)
        }
        let metadata: FileMetaData
        do {
            metadata = try tail.withUnsafeBytes { raw in
                try FileMetaData.decode(UnsafeRawBufferPointer(rebasing: raw[(raw.count - 8 - metaLength)..<(raw.count - 8)]))
            }
        } catch {
            throw ParquetError.notParquet("\(source.name): corrupt footer metadata at byte \(metaStart): \(error)")
        }
        let schema: ParquetSchema
        do {
            schema = try ParquetSchema(elements: metadata.schema)
        } catch {
            throw ParquetError.notParquet("\(source.name): \(error)")
        }
        let reader = ParquetFileReader(source: source, metadata: metadata, schema: schema, options: options, footerLength: metaLength + 8)
        try reader.validate(metadataStart: metaStart)
        return reader
    }

    /// Checks row groups and chunk ranges against the schema and the file size before anything is read.
    private func validate(metadataStart: Int64) throws {
        guard metadata.numRows >= 0 else {
            throw ParquetError.notParquet("\(source.name): negative row count \(metadata.numRows)")
        }
        for (g, group) in metadata.rowGroups.enumerated() {
            let at = ErrorLocation(file: source.name, rowGroup: g)
            guard group.numRows >= 0 else { throw ParquetError.corrupt(at, "negative row count \(group.numRows)") }
            guard group.columns.count == schema.columns.count else {
                throw ParquetError.corrupt(at, "row group has \(group.columns.count) column chunks but the schema has \(schema.columns.count) columns")
            }
            for (c, chunk) in group.columns.enumerated() {
                var where_ = at
                where_.column = schema.columns[c].dottedPath
                guard let meta = chunk.metaData else {
                    throw ParquetError.unsupported(where_, "column chunk metadata is stored outside the footer")
                }
                if chunk.filePath != nil {
                    throw ParquetError.unsupported(where_, "column chunk is stored in another file (\(chunk.filePath!))")
                }
                guard meta.type == schema.columns[c].physicalType else {
                    throw ParquetError.corrupt(where_, "chunk type \(meta.type) differs from the schema's \(schema.columns[c].physicalType)")
                }
                guard CompressionCodec(rawValue: meta.codecRaw) != nil else {
                    throw ParquetError.unsupported(where_, "unknown compression codec \(meta.codecRaw)")
                }
                guard meta.numValues >= 0, meta.totalCompressedSize >= 0 else {
                    throw ParquetError.corrupt(where_, "negative value count or size in column metadata")
                }
                if meta.numValues == 0 { continue }  // nothing to read (offsets may be 0)
                let range = chunkRange(meta)
                guard range.start >= 4, range.start + range.length <= metadataStart + Int64(Self.chunkSlack), range.length >= 0 else {
                    where_.offset = range.start
                    throw ParquetError.corrupt(where_, "column chunk range \(range.start)..<\(range.start + range.length) lies outside the data area (4..<\(metadataStart))")
                }
            }
        }
    }

    /// Where a chunk's pages start and how many bytes it occupies.
    func chunkRange(_ meta: ColumnMetaData) -> (start: Int64, length: Int64) {
        var start = meta.dataPageOffset
        if let dict = meta.dictionaryPageOffset, dict > 0, dict < start { start = dict }
        return (start, meta.totalCompressedSize)
    }

    /// Total rows according to the row groups.
    public var rowCount: Int { metadata.rowGroups.reduce(0) { $0 + Int($1.numRows) } }

    /// Leaf column indices for dotted names (or top-level names, selecting every leaf below them).
    public func columnIndices(named names: [String]) throws -> [Int] {
        var result: [Int] = []
        for name in names {
            let matches = schema.columns.filter { $0.dottedPath == name || $0.path.first == name }
            guard !matches.isEmpty else {
                throw ParquetError.invalidArgument("\(source.name): no column named '\(name)' (columns: \(schema.columns.map(\.dottedPath).joined(separator: ", ")))")
            }
            for m in matches where !result.contains(m.index) { result.append(m.index) }
        }
        return result
    }

    /// Reads and decodes the given leaf columns (default: all) of one row group.
    public func readRowGroup(_ index: Int, columns: [Int]? = nil) async throws -> ColumnBatch {
        guard index >= 0, index < metadata.rowGroups.count else {
            throw ParquetError.invalidArgument("\(source.name): no row group \(index) (the file has \(metadata.rowGroups.count))")
        }
        let group = metadata.rowGroups[index]
        let wanted = columns ?? Array(schema.columns.indices)
        var result: [Column] = []
        result.reserveCapacity(wanted.count)
        for c in wanted {
            result.append(try await readColumnChunk(rowGroup: index, column: c))
        }
        return ColumnBatch(rowCount: Int(group.numRows), columns: result, rowGroup: index)
    }

    /// Reads one column chunk's byte range and decodes every page of it.
    public func readColumnChunk(rowGroup index: Int, column c: Int) async throws -> Column {
        let group = metadata.rowGroups[index]
        let descriptor = schema.columns[c]
        let meta = group.columns[c].metaData!
        if meta.numValues == 0 {
            guard group.numRows == 0 else {
                throw ParquetError.corrupt(ErrorLocation(file: source.name, column: descriptor.dottedPath, rowGroup: index),
                                           "column chunk has no values but its row group has \(group.numRows) rows")
            }
            var empty = ValueBuffers(physical: descriptor.physicalType, width: descriptor.typeLength)
            empty.plainMode = true
            return Column(descriptor: descriptor, levelCount: 0, definitionLevels: descriptor.maxDefinitionLevel > 0 ? [] : nil,
                          repetitionLevels: descriptor.maxRepetitionLevel > 0 ? [] : nil, values: empty.finish())
        }
        let range = chunkRange(meta)
        // Read a little past the stated end when the file has the bytes (PARQUET-816 writers understate it).
        let available = source.size - 8 - Int64(footerLength - 8) - range.start
        let length = Int(min(range.length + Int64(Self.chunkSlack), max(range.length, available)))
        let bytes = try await source.read(offset: range.start, length: length)
        let reader = ColumnChunkReader(
            descriptor: descriptor,
            codec: CompressionCodec(rawValue: meta.codecRaw)!,
            options: options,
            location: ErrorLocation(file: source.name, column: descriptor.dottedPath, rowGroup: index),
            baseOffset: range.start,
            expectedValues: Int(meta.numValues),
            expectedRows: Int(group.numRows))
        return try bytes.withUnsafeBytes { try reader.read($0) }
    }
}
