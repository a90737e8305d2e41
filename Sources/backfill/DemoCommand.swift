import ArgumentParser
import Backfill
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Write a sample Spark-style dataset, backfill it into SQLite, and show the summary and a query.")

    @Option(help: "Directory for the dataset, config and store.")
    var dir: String = "./backfill-demo"

    @Option(help: "Rows to generate.")
    var rows: Int = 200_000

    func validate() throws {
        guard rows > 0, rows <= 100_000_000 else { throw ValidationError("--rows must be between 1 and 100000000") }
    }

    func run() async throws {
        do {
            let r = try await Demo.run(dir: dir, rows: rows, progress: isatty(2) == 1)
            var out = StandardOutput()
            defer { out.flush() }
            out.line("wrote \(r.rows) rows in \(r.files) snappy Parquet files (Hive-partitioned by hour, with _SUCCESS and .crc files): \(r.datasetPath)")
            out.line("config: \(r.configPath)")
            for line in RunSummaryText.lines(r.summary) { out.line(line) }
            out.line("")
            out.line("top 5 entities, lifetime sum(count):  backfill query --store sqlite:\(r.storePath) --pipeline page_views --window lifetime")
            for line in renderTable(header: ["key", "bucket", "value"], rows: r.top.map { [$0.key, "lifetime", r.monoid.renderJSON($0.value)] }) {
                out.line("  " + line)
            }
            out.line("")
            out.line("run it again (nothing new to do):  backfill run \(r.configPath)")
        } catch {
            throw fail(error)
        }
    }
}
