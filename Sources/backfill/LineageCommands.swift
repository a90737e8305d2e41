import Aggregation
import ArgumentParser
import Backfill
import Foundation
import StateStores

/// A UTC instant from the command line: "2026-05-09", "2026-05", "2026-05-09T12:00:00Z", "...+02:00".
func parseInstant(_ text: String, _ option: String) throws -> Int64 {
    do { return try BucketCalendar(timeZone: "UTC").parseTime(text) } catch {
        throw RunError("\(option): \(error)")
    }
}

/// Records a store operation (revert, gc) in the store's run history.
func recordOperation(_ store: any StateStore, kind: String, configHash: String = "", started: Date, status: String, message: String) async {
    guard let id = try? await store.startRun(RunRecord(kind: kind, configHash: configHash, startedAt: started.timeIntervalSince1970, status: "running")) else { return }
    try? await store.finishRun(RunRecord(id: id, kind: kind, configHash: configHash, startedAt: started.timeIntervalSince1970,
                                         finishedAt: Date().timeIntervalSince1970, status: status, message: message))
}

enum ReplacementText {
    static func json(_ r: Replacement) -> String {
        let previous = Dictionary(grouping: r.previous, by: \.generation).keys.sorted()
        return """
            {"id": \(r.id), "state": "\(r.state.rawValue)", "from": "\(formatMillis(r.from))", "to": "\(formatMillis(r.to))", \
            "segments": {"from": "\(formatMillis(r.segmentFrom))", "to": "\(formatMillis(r.segmentTo))", "count": \(r.segments.count), \
            "millis": \(r.segmentMillis)}, "pipelines": [\(r.pipelines.map(jsonQuote).joined(separator: ", "))], \
            "generation": \(r.generation), "previous_generations": \(previous), "config_hash": "\(r.configHash)", \
            "worker": \(jsonQuote(r.worker)), "started_at": "\(formatSeconds(r.startedAt))", "heartbeat_at": "\(formatSeconds(r.heartbeatAt))", \
            "finished_at": \(r.finishedAt.map { "\"\(formatSeconds($0))\"" } ?? "null"), \
            "reverted_at": \(r.revertedAt.map { "\"\(formatSeconds($0))\"" } ?? "null"), "objects": \(r.objects), "rows_read": \(r.rowsRead), \
            "revertible": \(r.state == .completed && !r.collected), "message": \(r.message.map(jsonQuote) ?? "null")}
            """
    }

    static func lines(_ r: Replacement) -> [String] {
        let previous = Set(r.previous.map(\.generation)).sorted().map(String.init).joined(separator: ",")
        var out = ["replace \(r.id) \(r.state.rawValue): \(formatMillis(r.from)) to \(formatMillis(r.to)) (\(r.segments.count) segment(s) from \(formatMillis(r.segmentFrom))), pipelines \(r.pipelines.joined(separator: ", "))"]
        out.append("  generation \(r.generation)\(previous.isEmpty ? "" : " replacing \(previous)"); \(r.objects) object(s), \(r.rowsRead) row(s); config \(r.configHash); by \(r.worker)")
        var times = "  started \(formatSeconds(r.startedAt))"
        if let f = r.finishedAt { times += ", finished \(formatSeconds(f)) (\(String(format: "%.2f", f - r.startedAt)) s)" }
        if let v = r.revertedAt { times += ", reverted \(formatSeconds(v))" }
        if r.state == .inProgress { times += ", heartbeat \(formatSeconds(r.heartbeatAt))" }
        if r.collected { times += "; gc removed what it replaced (not revertible)" }
        out.append(times)
        if let m = r.message { out.append("  \(m)") }
        return out
    }
}

struct ReplaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace",
        abstract: "Recompute a corrected time range into a new generation and switch it in atomically (revertible).",
        discussion: """
            Reads only objects whose event times can fall in the range (Hive partition paths, then Parquet row-group \
            statistics), recomputes every segment the range touches (widened to whole segments), and switches those \
            segments to the new generation in one transaction: readers see the old values until then, the new ones \
            after. A replace interrupted (kill -9) leaves the old values visible; running the same replace again takes it \
            over once its heartbeat is older than --stale-after. A replace of an overlapping range while one is in \
            progress is refused. Exit 0 when the switch happened (or the dry run planned), 1 otherwise.
            """)

    @Argument(help: "The YAML config file.")
    var config: String
    @Option(help: "Start of the range (inclusive): a date, a month or an RFC 3339 instant (UTC unless it has an offset).")
    var from: String
    @Option(help: "End of the range (exclusive).")
    var to: String
    @Flag(help: "Show what would be read; write nothing.")
    var dryRun = false
    @Option(help: "Objects processed at once (default: the CPUs this process may use).")
    var concurrency: Int?
    @Option(help: "Seconds without a heartbeat after which an in-progress replace counts as interrupted and may be taken over.")
    var staleAfter: Double = 60
    @Option(help: "Summary format: text or json.")
    var format: OutputFormat = .text
    @Flag(help: "Never show the progress line.")
    var quiet = false
    @Option(help: ArgumentHelp("Commit a worker's group of objects once it holds this many partial entries.", visibility: .hidden))
    var commitEntries: Int = 4_000_000

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
        guard staleAfter > 0 else { throw ValidationError("--stale-after must be positive") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let summary: ReplaceSummary
        do {
            let job = try JobConfig.load(path: config)
            let store = try StoreURL.open(job.store)
            let options = RunOptions(concurrency: concurrency ?? RunOptions.availableCPUs, progress: !quiet && format == .text && isatty(2) == 1,
                                     commitEntries: commitEntries)
            summary = try await Replacer(config: job, store: store, options: options, staleAfter: staleAfter)
                .replace(from: try parseInstant(from, "--from"), to: try parseInstant(to, "--to"), dryRun: dryRun)
        } catch let failed as RunFailed {
            if format == .text { for line in RunSummaryText.lines(failed.summary) { printError(line) } }
            throw fail(failed.underlying)
        } catch {
            throw fail(error)
        }
        var out = StandardOutput()
        defer { out.flush() }
        let r = summary.replacement
        if format == .json {
            out.line("""
                {"dry_run": \(summary.dryRun), "resumed": \(summary.resumed), "objects_to_read": \(summary.objectsToRead), \
                "objects_pruned": \(summary.objectsPruned), "replacement": \(summary.dryRun ? "null" : ReplacementText.json(r)), \
                "run": \(summary.run.map(RunSummaryText.json) ?? "null")}
                """)
            return
        }
        if summary.dryRun {
            out.line("dry run: would recompute \(r.segments.count) segment(s) \(formatMillis(r.segmentFrom)) to \(formatMillis(r.segmentTo)) of \(r.pipelines.joined(separator: ", "))")
            out.line("would read \(summary.objectsToRead) object(s), \(summary.bytesToRead) bytes (\(summary.objectsPruned) left out by their partition path; row groups are pruned by statistics when read)")
            return
        }
        if summary.resumed { out.line("took over interrupted replace \(r.id) (its committed objects are kept)") }
        if let run = summary.run {
            for line in RunSummaryText.lines(run) { out.line(line) }
            out.line("objects left out by partition path: \(summary.objectsPruned); row groups skipped by statistics: \(run.rowGroupsSkipped); rows outside the range: \(run.rowsOutsideRange)")
        }
        for line in ReplacementText.lines(r) { out.line(line) }
    }
}

struct RevertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Switch a replaced range back to the generation it replaced, in one step.",
        discussion: "Only the latest completed replacement of a range can be reverted (revert later ones first), and only until gc removed what it replaced. Exit 0 when reverted, 1 otherwise.")

    @Option(help: "The store URL.")
    var store: String
    @Option(name: .customLong("replace"), help: "The replacement id (see backfill lineage).")
    var replaceID: Int64?
    @Flag(help: "Revert the latest completed replacement.")
    var last = false
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard (replaceID != nil) != last else { throw ValidationError("give exactly one of --replace ID and --last") }
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        let started = Date()
        let s: any StateStore
        let r: Replacement
        do {
            s = try StoreURL.open(store)
            try await s.migrate()
            var id = replaceID
            if last {
                guard let latest = try await s.replacements().first(where: { $0.state == .completed }) else {
                    throw LineageError("no completed replacement in \(store) to revert")
                }
                id = latest.id
            }
            do {
                r = try await s.revertReplacement(id: id!)
            } catch {
                await recordOperation(s, kind: "revert", started: started, status: "failed", message: "revert \(id!): \(error)")
                throw error
            }
            await recordOperation(s, kind: "revert", started: started, status: "succeeded",
                                  message: "reverted replace \(r.id) (\(formatMillis(r.from)) to \(formatMillis(r.to))): \(r.previous.count) segment(s) back to generation(s) \(Set(r.previous.map(\.generation)).sorted())")
        } catch {
            throw fail(error)
        }
        var out = StandardOutput()
        defer { out.flush() }
        if format == .json { out.line(ReplacementText.json(r)); return }
        out.line("reverted replace \(r.id): \(r.previous.count) (pipeline, segment) pair(s) switched back")
        for line in ReplacementText.lines(r) { out.line(line) }
    }
}

struct LineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "List every replacement: range, segments, generations, state, times, row counts and config hash.")

    @Option(help: "The store URL.")
    var store: String
    @Option(help: "Output format: text, json (one array) or jsonl (one replacement per line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard [.text, .json, .jsonl].contains(format) else { throw ValidationError("--format must be text, json or jsonl") }
    }

    func run() async throws {
        let all: [Replacement]
        do {
            let s = try StoreURL.open(store)
            try await s.migrate()
            all = try await s.replacements()
        } catch {
            throw fail(error)
        }
        var out = StandardOutput()
        defer { out.flush() }
        switch format {
        case .json: out.line("[" + all.map(ReplacementText.json).joined(separator: ", ") + "]")
        case .jsonl: for r in all { out.line(ReplacementText.json(r)) }
        default:
            if all.isEmpty { out.line("no replacements in \(store)") }
            for r in all { for line in ReplacementText.lines(r) { out.line(line) } }
        }
    }
}

struct BoundaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boundary",
        abstract: "Set, show or clear the live boundary: backfills write only event times before it, the live side the rest.",
        subcommands: [Set.self, Show.self, Clear.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a pipeline's boundary. run and replace then write nothing at or after it and say how many rows they left to the live side.")
        @Option(help: "The store URL.")
        var store: String
        @Option(help: "The pipeline (as registered by a run).")
        var pipeline: String
        @Argument(help: "The boundary: a date or an RFC 3339 instant (UTC unless it has an offset).")
        var time: String

        func run() async throws {
            do {
                let s = try StoreURL.open(store)
                try await s.migrate()
                let at = try parseInstant(time, "TIME")
                try await s.setBoundary(pipeline: pipeline, at: at)
                var out = StandardOutput()
                out.line("boundary of \(pipeline): \(formatMillis(at))")
                out.flush()
            } catch {
                throw fail(error)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the boundaries (of one pipeline, or all).")
        @Option(help: "The store URL.")
        var store: String
        @Option(help: "Only this pipeline.")
        var pipeline: String?
        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            do {
                let s = try StoreURL.open(store)
                try await s.migrate()
                var all = try await s.boundaries()
                if let pipeline { all = all.filter { $0.key == pipeline } }
                var out = StandardOutput()
                defer { out.flush() }
                let sorted = all.sorted { $0.key < $1.key }
                if format == .json {
                    out.line("{" + sorted.map { "\(jsonQuote($0.key)): \"\(formatMillis($0.value))\"" }.joined(separator: ", ") + "}")
                } else if sorted.isEmpty {
                    out.line(pipeline.map { "no boundary set for \($0)" } ?? "no boundaries set")
                } else {
                    for (p, at) in sorted { out.line("\(p): \(formatMillis(at))") }
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a pipeline's boundary (backfills write every event time again).")
        @Option(help: "The store URL.")
        var store: String
        @Option(help: "The pipeline.")
        var pipeline: String

        func run() async throws {
            do {
                let s = try StoreURL.open(store)
                try await s.migrate()
                try await s.setBoundary(pipeline: pipeline, at: nil)
                var out = StandardOutput()
                out.line("boundary of \(pipeline) cleared")
                out.flush()
            } catch {
                throw fail(error)
            }
        }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute from the source and compare with the store, bucket by bucket.",
        discussion: "Prints every differing bucket. Exit 0 when equal, 1 on any difference or error.")

    @Argument(help: "The YAML config file.")
    var config: String
    @Option(help: "Start of the range (widened to whole segments); with --to. Default: all time.")
    var from: String?
    @Option(help: "End of the range (exclusive).")
    var to: String?
    @Option(help: "Compare only this many keys per window (the same keys every time).")
    var sample: Int?
    @Option(help: "Objects processed at once (default: the CPUs this process may use).")
    var concurrency: Int?
    @Option(help: "Output format: text, json or jsonl (one difference per line, then the summary).")
    var format: OutputFormat = .text

    func validate() throws {
        guard [.text, .json, .jsonl].contains(format) else { throw ValidationError("--format must be text, json or jsonl") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
        guard (from == nil) == (to == nil) else { throw ValidationError("give both --from and --to, or neither") }
    }

    func run() async throws {
        let summary: VerifySummary
        let started = Date()
        let store: any StateStore
        let job: JobConfig
        do {
            job = try JobConfig.load(path: config)
            store = try StoreURL.open(job.store)
            summary = try await Verifier(config: job, store: store, options: RunOptions(concurrency: concurrency ?? RunOptions.availableCPUs))
                .verify(from: try from.map { try parseInstant($0, "--from") }, to: try to.map { try parseInstant($0, "--to") }, sample: sample)
        } catch {
            throw fail(error)
        }
        let verdict = summary.equal ? "equal" : "\(summary.differences.count) bucket(s) differ"
        await recordOperation(store, kind: "verify", configHash: job.configHash, started: started, status: summary.equal ? "succeeded" : "failed",
                              message: "verify: \(verdict) of \(summary.bucketsCompared) compared")
        var out = StandardOutput()
        func diff(_ d: VerifyDifference) -> String {
            "{\"pipeline\": \(jsonQuote(d.pipeline)), \"window\": \"\(d.window)\", \"key\": \(jsonQuote(d.key)), \"bucket\": \(jsonQuote(d.bucket)), \"stored\": \(d.stored ?? "null"), \"recomputed\": \(d.recomputed ?? "null")}"
        }
        let head = """
            "equal": \(summary.equal), "buckets_compared": \(summary.bucketsCompared), "keys_compared": \(summary.keysCompared), \
            "sample": \(summary.sample.map(String.init) ?? "null"), "rows_read": \(summary.run.rowsRead), "differences": \(summary.differences.count)
            """
        switch format {
        case .json: out.line("{\(head), \"differing\": [\(summary.differences.map(diff).joined(separator: ", "))]}")
        case .jsonl:
            for d in summary.differences { out.line(diff(d)) }
            out.line("{\(head)}")
        default:
            for d in summary.differences {
                out.line("\(d.pipeline) \(d.window) \(d.key) \(d.bucket): store \(d.stored ?? "(none)"), source \(d.recomputed ?? "(none)")")
            }
            out.line("\(verdict): \(summary.bucketsCompared) bucket(s) of \(summary.keysCompared) key(s) compared, \(summary.run.rowsRead) row(s) read")
        }
        out.flush()
        if !summary.equal { throw ExitCode(1) }
    }
}

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Drop superseded generations once their retention passed (replacements older than it can no longer be reverted).")

    @Option(help: "The store URL.")
    var store: String
    @Option(help: "Retention: keep what replacements finished within this long ago may need (e.g. 7d, 12h).")
    var olderThan: String
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        let started = Date()
        let result: GarbageCollected
        do {
            let retention = try parseDuration(olderThan)
            guard retention >= 0 else { throw RunError("--older-than must not be negative") }
            let s = try StoreURL.open(store)
            try await s.migrate()
            result = try await s.collectGarbage(before: started.timeIntervalSince1970 - Double(retention) / 1000)
            await recordOperation(s, kind: "gc", started: started, status: "succeeded",
                                  message: "gc older than \(olderThan): \(result.generations.count) superseded (pipeline, segment, generation)s, \(result.partialRows) partial row(s), \(result.ledgerRows) ledger row(s) dropped")
        } catch {
            throw fail(error)
        }
        var out = StandardOutput()
        defer { out.flush() }
        if format == .json {
            out.line("{\"segment_generations\": \(result.generations.count), \"partial_rows\": \(result.partialRows), \"ledger_rows\": \(result.ledgerRows)}")
        } else {
            out.line("dropped \(result.generations.count) superseded (pipeline, segment, generation)s: \(result.partialRows) partial row(s), \(result.ledgerRows) ledger row(s)")
        }
    }
}
