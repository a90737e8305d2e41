import ArgumentParser
import Compression
import Parquet
import Backfill

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show a Parquet file's schema tree, row groups, codecs, encodings, sizes, statistics and key-value metadata.")

    @Argument(help: "The Parquet file (a path or s3://bucket/key).")
    var file: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        do {
            let resolver = SourceResolver()
            defer { Task { await resolver.shutdown() } }
            let reader = try await ParquetFileReader.open(try await resolver.byteSource(path: file))
            var out = StandardOutput()
            defer { out.flush() }
            let summary = FileSummary.describe(reader)
            if format == .json {
                out.line(summary.json)
                return
            }
            let m = reader.metadata
            out.line("file: \(file) (\(reader.source.size) bytes, footer \(reader.footerLength) bytes)")
            out.line("created by: \(m.createdBy ?? "(unknown)"), format version \(m.version)")
            out.line("rows: \(m.numRows) in \(m.rowGroups.count) row group(s)")
            out.line("schema:")
            printNode(reader.schema.root, depth: 1, into: &out)
            for (g, group) in m.rowGroups.enumerated() {
                out.line("row group \(g): \(group.numRows) rows, \(group.totalByteSize) bytes")
                for (c, chunk) in group.columns.enumerated() {
                    guard let meta = chunk.metaData else { continue }
                    let d = reader.schema.columns[c]
                    var line = "  \(d.dottedPath): \(FileSummary.physicalName(meta.type)) \(CodecName.of(meta.codecRaw)) "
                    line += "[\(meta.encodings.map { "\($0)" }.joined(separator: ","))] "
                    line += "\(meta.numValues) values, \(meta.totalCompressedSize) → \(meta.totalUncompressedSize) bytes"
                    if let s = meta.statistics {
                        line += ", nulls \(s.nullCount.map(String.init) ?? "?")"
                        line += ", min \(FileSummary.statValue(s.minValue ?? s.min, d).json), max \(FileSummary.statValue(s.maxValue ?? s.max, d).json)"
                    }
                    out.line(line)
                }
            }
            if let kvs = m.keyValueMetadata, !kvs.isEmpty {
                out.line("key-value metadata:")
                for kv in kvs {
                    let v = kv.value ?? ""
                    out.line("  \(kv.key) = \(v.count > 200 ? String(v.prefix(200)) + "… (\(v.utf8.count) bytes)" : v)")
                }
            }
        } catch {
            throw fail(error)
        }
    }

    private func printNode(_ n: SchemaNode, depth: Int, into out: inout StandardOutput) {
        let e = n.element
        var s = String(repeating: "  ", count: depth)
        if !n.path.isEmpty { s += "\(n.repetition) ".lowercased() }
        if let t = e.type {
            s += FileSummary.physicalName(t)
            if t == .fixedLenByteArray, let l = e.typeLength { s += "(\(l))" }
            s += " "
        } else {
            s += "group "
        }
        s += e.name
        if let l = e.logicalType { s += " (\(FileSummary.logicalName(l)))" } else if let c = e.convertedType { s += " (\(c))" }
        out.line(s)
        for c in n.children { printNode(c, depth: depth + 1, into: &out) }
    }
}

enum CodecName {
    static func of(_ raw: Int32) -> String { CompressionCodec(rawValue: raw)?.name ?? "UNKNOWN(\(raw))" }
}
