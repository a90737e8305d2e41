/// Profiles of every column over one or more files: what `backfill profile` computes.
public struct DatasetProfile: Sendable {
    public var files: Int = 0
    public var rows: Int = 0
    public var columns: [ColumnProfile] = []

    public init() {}

    /// Decodes every value of every column of `sources`, up to `concurrency` files at a time.
    public static func profile(_ sources: [any ByteSource], options: ReadOptions = ReadOptions(), concurrency: Int = 1) async throws -> DatasetProfile {
        var result = DatasetProfile()
        try await withThrowingTaskGroup(of: (Int, DatasetProfile).self) { group in
            var next = 0
            var done: [Int: DatasetProfile] = [:]
            var merged = 0
            func start() {
                let i = next
                let source = sources[i]
                next += 1
                group.addTask { (i, try await profileFile(source, options: options)) }
            }
            while next < sources.count && next < max(1, concurrency) { start() }
            while let (i, p) = try await group.next() {
                done[i] = p
                // Merge in file order so column order follows the first file.
                while let p = done.removeValue(forKey: merged) {
                    try result.merge(p, file: sources[merged].name)
                    merged += 1
                }
                if next < sources.count { start() }
            }
        }
        return result
    }

    /// Profiles one file, row group by row group (memory bounded by one row group).
    public static func profileFile(_ source: any ByteSource, options: ReadOptions = ReadOptions()) async throws -> DatasetProfile {
        let reader = try await ParquetFileReader.open(source, options: options)
        var p = DatasetProfile()
        p.files = 1
        p.columns = reader.schema.columns.map(ColumnProfile.init(descriptor:))
        for g in reader.metadata.rowGroups.indices {
            for c in reader.schema.columns.indices {
                let column = try await reader.readColumnChunk(rowGroup: g, column: c)
                p.columns[c].add(column)
            }
            p.rows += Int(reader.metadata.rowGroups[g].numRows)
        }
        return p
    }

    /// Adds another file's profile; columns are matched by name, new ones appended.
    public mutating func merge(_ other: DatasetProfile, file: String) throws {
        files += other.files
        rows += other.rows
        if columns.isEmpty {
            columns = other.columns
            return
        }
        for column in other.columns {
            if let i = columns.firstIndex(where: { $0.name == column.name }) {
                guard columns[i].physicalType == column.physicalType else {
                    throw ParquetError.invalidArgument("\(file): column '\(column.name)' is \(column.physicalType) here but \(columns[i].physicalType) in earlier files")
                }
                columns[i].merge(column)
            } else {
                columns.append(column)
            }
        }
    }

    /// `{"rows": N, "files": F, "columns": [...]}`
    public var json: String {
        "{\"rows\": \(rows), \"files\": \(files), \"columns\": [" + columns.map(\.json).joined(separator: ", ") + "]}"
    }
}
