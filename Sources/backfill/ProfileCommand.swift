import ArgumentParser
import Backfill
import Datasets
import Parquet

#if canImport(Glibc)
import Glibc
#endif

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Decode every value of every column and print per column: nulls, min, max, and sum (numbers) or bytes (strings).",
        discussion: """
            PATH may be a Parquet file, a directory or a Hive-partitioned dataset; marker files (_SUCCESS, .crc, \
            hidden and _temporary) are skipped. With --format json: {"rows": N, "columns": [{"name", "nulls", "min", "max", "sum" | "bytes"}]}.
            """)

    @Argument(help: "Files, directories or Hive datasets (paths or s3://bucket/prefix/ URLs).")
    var paths: [String]

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(help: "Files decoded at once (default: the number of cores).")
    var concurrency: Int?

    @Flag(help: "Do not verify page CRC checksums.")
    var noVerifyChecksums = false

    func validate() throws {
        guard format == .table || format == .json else { throw ValidationError("--format must be table or json") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        do {
            let resolver = SourceResolver()
            defer { Task { await resolver.shutdown() } }
            var sources: [any ByteSource] = []
            for path in paths {
                for file in try await resolver.discover(path, suffixes: nil, filter: nil) {
                    sources.append(try await resolver.byteSource(file))
                }
            }
            guard !sources.isEmpty else { throw ParquetError.invalidArgument("no data files under \(paths.joined(separator: ", "))") }
            let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let profile = try await DatasetProfile.profile(
                sources, options: ReadOptions(verifyChecksums: !noVerifyChecksums), concurrency: concurrency ?? max(1, cores))
            var out = StandardOutput()
            defer { out.flush() }
            if format == .json {
                out.line(profile.json)
                return
            }
            out.line("\(profile.rows) rows in \(profile.files) file(s)")
            let rows = profile.columns.map { c -> [String] in
                [c.name, "\(c.physicalType)", String(c.nulls), c.min?.plainText ?? "", c.max?.plainText ?? "",
                 c.sum?.plainText ?? "", c.bytes.map(String.init) ?? ""]
            }
            for line in renderTable(header: ["column", "type", "nulls", "min", "max", "sum", "bytes"], rows: rows) { out.line(line) }
        } catch {
            throw fail(error)
        }
    }
}
