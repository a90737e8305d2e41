import ArgumentParser
import Parquet
import Backfill

struct CatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print the rows of a Parquet file.",
        discussion: "JSON Lines follow CANONICAL_JSON.md: one object per row, keys in schema order.")

    @Argument(help: "The Parquet file (a path or s3://bucket/key).")
    var file: String

    @Option(help: "Output format: jsonl, csv or table.")
    var format: OutputFormat = .jsonl

    @Option(help: "Comma-separated top-level column names to print (default: all).")
    var columns: String?

    @Option(help: "Print at most this many rows.")
    var limit: Int?

    @Flag(help: "Do not verify page CRC checksums.")
    var noVerifyChecksums = false

    func validate() throws {
        guard [.jsonl, .csv, .table].contains(format) else { throw ValidationError("--format must be jsonl, csv or table") }
        if let limit, limit < 0 { throw ValidationError("--limit must be zero or more") }
    }

    func run() async throws {
        do {
            try await catFile()
        } catch {
            throw fail(error)
        }
    }

    private func catFile() async throws {
        let resolver = SourceResolver()
        defer { Task { await resolver.shutdown() } }
        let reader = try await ParquetFileReader.open(try await resolver.byteSource(path: file),
                                                       options: ReadOptions(verifyChecksums: !noVerifyChecksums))
        let wanted = try columns.map { try reader.columnIndices(named: $0.split(separator: ",").map { String($0).trimmingSpaces }) }
        var out = StandardOutput()
        defer { out.flush() }
        var printed = 0
        var table: [[String]] = []
        var header: [String]?
        outer: for g in reader.metadata.rowGroups.indices {
            if let limit, printed >= limit { break }
            // Read whole top-level fields so nested values can be assembled.
            let batch = try await reader.readRowGroup(g, columns: wanted.map { expand($0, reader.schema) })
            var assembler = RowAssembler(schema: reader.schema, batch: batch)
            if header == nil {
                header = assembler.fieldNames
                if format == .csv { out.line(header!.map(csvField).joined(separator: ",")) }
            }
            while let row = try assembler.next() {
                if let limit, printed >= limit { break outer }
                switch format {
                case .jsonl: out.line(RowValue.object(row).json)
                case .csv: out.line(row.map { csvField($0.1.plainText) }.joined(separator: ","))
                default: table.append(row.map { $0.1.plainText })
                }
                printed += 1
            }
        }
        if format == .table {
            let names = header ?? reader.schema.root.children.map(\.name)
            for line in renderTable(header: names, rows: table) { out.line(line) }
        }
    }

    /// Every leaf under the top-level fields of the selected leaves.
    private func expand(_ leaves: [Int], _ schema: ParquetSchema) -> [Int] {
        let tops = Set(leaves.map { schema.columns[$0].path[0] })
        return schema.columns.filter { tops.contains($0.path[0]) }.map(\.index)
    }
}

func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}

func renderTable(header: [String], rows: [[String]]) -> [String] {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], min(cell.count, 60)) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let cell = c.count > 60 ? String(c.prefix(57)) + "..." : c
            return cell + String(repeating: " ", count: max(0, widths[i] - cell.count))
        }.joined(separator: "  ")
    }
    var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    lines.append(contentsOf: rows.map(line))
    return lines
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
