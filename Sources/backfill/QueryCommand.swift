import Aggregation
import ArgumentParser
import Backfill
import StateStores

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print aggregates of a pipeline and window (partials of every segment combined).",
        discussion: "jsonl prints {\"key\", \"bucket\", \"value\"} per bucket, sorted by key (code points) then bucket, as CANONICAL_JSON.md says.")

    @Option(help: "The store URL, e.g. sqlite:./backfill.sqlite.")
    var store: String

    @Option(help: "The pipeline name.")
    var pipeline: String

    @Option(help: "The window: minute, hourly, daily, monthly or lifetime.")
    var window: String

    @Option(help: "Only this key.")
    var key: String?

    @Option(help: "Buckets starting at or after this time (RFC 3339 or YYYY-MM-DD).")
    var from: String?

    @Option(help: "Buckets starting before this time.")
    var to: String?

    @Option(help: "Combine the latest N days of daily buckets per key, e.g. 7d (a trailing-7-days counter).")
    var trailing: String?

    @Option(help: "Output format: table or jsonl.")
    var format: OutputFormat = .table

    func validate() throws {
        guard format == .table || format == .jsonl || format == .json else { throw ValidationError("--format must be table or jsonl") }
        guard WindowKind(rawValue: window) != nil else { throw ValidationError("--window must be minute, hourly, daily, monthly or lifetime") }
    }

    func run() async throws {
        do {
            let s = try StoreURL.open(store)
            try await s.migrate()
            guard let definition = try await s.pipelines().first(where: { $0.name == pipeline }) else {
                throw RunError("no pipeline '\(pipeline)' in \(store)")
            }
            let calendar = try BucketCalendar(timeZone: definition.timeZone)
            var w = WindowKind(rawValue: window)!
            let fromMillis = try from.map { try calendar.parseTime($0) }
            let toMillis = try to.map { try calendar.parseTime($0) }
            var rows = try await s.query(pipeline: pipeline, window: w, key: key, from: fromMillis, to: toMillis)
            var trailingLabel: String?
            if let trailing {
                guard w == .daily else { throw RunError("--trailing combines daily buckets: use --window daily") }
                let days = try parseDuration(trailing) / 86_400_000
                guard days >= 1 else { throw RunError("--trailing must be at least 1d") }
                rows = try Trailing.combine(rows, days: Int(days), monoid: definition.monoid, calendar: calendar)
                trailingLabel = "trailing \(days)d"
                w = .daily
            }
            var out = StandardOutput()
            defer { out.flush() }
            var table: [[String]] = []
            for r in rows {
                let bucket = trailingLabel.map { _ in calendar.label(.daily, start: r.bucket) } ?? calendar.label(w, start: r.bucket)
                let value = definition.monoid.renderJSON(r.value)
                if format == .table {
                    table.append([r.key, trailingLabel.map { "\($0) to \(bucket)" } ?? bucket, value])
                } else {
                    out.line("{\"key\": \(jsonQuote(r.key)), \"bucket\": \(jsonQuote(bucket)), \"value\": \(value)}")
                }
            }
            if format == .table {
                for line in renderTable(header: ["key", "bucket", "value"], rows: table) { out.line(line) }
            }
        } catch {
            throw fail(error)
        }
    }
}

/// `--trailing Nd`: per key, the latest N daily buckets (ending at the key's latest day) combined.
enum Trailing {
    static func combine(_ rows: [AggregateRow], days: Int, monoid: Monoid, calendar: BucketCalendar) throws -> [AggregateRow] {
        var latest: [String: Int64] = [:]
        for r in rows { latest[r.key] = max(latest[r.key] ?? Int64.min, r.bucket) }
        var combined: [String: AggregateRow] = [:]
        for r in rows {
            let end = latest[r.key]!
            // The window covers the N local days ending with the latest one.
            var start = end
            for _ in 1..<days { start = calendar.bucketStart(.daily, start - 1) }
            guard r.bucket >= start else { continue }
            if var c = combined[r.key] {
                c.value = try monoid.combine(c.value, r.value)
                combined[r.key] = c
            } else {
                combined[r.key] = AggregateRow(key: r.key, bucket: end, value: r.value)
            }
        }
        return combined.values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
