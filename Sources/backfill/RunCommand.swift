import ArgumentParser
import Backfill
import Foundation
import StateStores

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Backfill a dataset into the store exactly once (resumable; re-runs skip committed objects).",
        discussion: "Exit 0 only if every object was committed or already done; 1 if anything failed.")

    @Argument(help: "The YAML config file.")
    var config: String

    @Option(help: "Objects processed at once (default: the CPUs this process may use).")
    var concurrency: Int?

    @Flag(help: "Read and fold everything, commit nothing.")
    var dryRun = false

    @Option(help: "Summary format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "Do not verify Parquet page checksums.")
    var noVerifyChecksums = false

    @Flag(help: "Never show the progress line (it shows only on a terminal anyway).")
    var quiet = false

    @Option(help: ArgumentHelp("Commit a worker's group of objects once it holds this many partial entries.", visibility: .hidden))
    var commitEntries: Int = 4_000_000

    @Flag(help: "Act as the live side: fold only rows at or after each pipeline's boundary, into the live generation (every pipeline needs a boundary).")
    var liveSide = false

    @Option(help: "Seconds an object's lease lasts without a heartbeat; a killed process's objects are taken over after this.")
    var leaseSeconds: Double = 60

    @Option(help: ArgumentHelp(
        "Cap this process's commits at N write units per second (token bucket shared by its workers).",
        discussion: "A unit is 2 per item and KB of a DynamoDB transactional write, or one partial row for SQLite and PostgreSQL. `backfill throttle` sets a store-wide cap that running jobs follow too; the smaller applies.",
        valueName: "N"))
    var maxWriteUnits: Double?

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        guard leaseSeconds > 0 else { throw ValidationError("--lease-seconds must be positive") }
        if let maxWriteUnits, !(maxWriteUnits > 0 && maxWriteUnits <= WriteRateSetting.maximum) {
            throw ValidationError("--max-write-units must be a number of write units per second above 0 (to pause, use `backfill throttle --store URL 0`)")
        }
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        var summary: RunSummary
        do {
            let job = try JobConfig.load(path: config)
            let store = try StoreURL.open(job.store)
            let runner = try Runner(config: job, store: store, options: RunOptions(
                concurrency: concurrency ?? RunOptions.availableCPUs, dryRun: dryRun,
                progress: !quiet && format == .text && isatty(2) == 1, commitEntries: commitEntries,
                verifyChecksums: !noVerifyChecksums, leaseSeconds: leaseSeconds, maxWriteUnits: maxWriteUnits, mode: liveSide ? .live : .run))
            summary = try await runner.run()
        } catch let failed as RunFailed {
            summary = failed.summary
            printSummary(summary)
            throw fail(failed.underlying)
        } catch {
            throw fail(error)
        }
        printSummary(summary)
        if !summary.succeeded {
            printError("backfill: error: \(summary.objectsFailed) object(s) failed: \(summary.failures.first ?? "")")
            throw ExitCode(1)
        }
    }

    func printSummary(_ s: RunSummary) {
        var out = StandardOutput()
        defer { out.flush() }
        if format == .json {
            out.line(RunSummaryText.json(s))
            return
        }
        for line in RunSummaryText.lines(s) { out.line(line) }
    }
}

/// Summary text shared by `run` and `demo`.
enum RunSummaryText {
    static func lines(_ s: RunSummary) -> [String] {
        let rate = s.seconds > 0 ? Int(Double(s.rowsRead) / s.seconds) : 0
        var lines = [
            "\(s.dryRun ? "dry run: " : "")run \(s.runID): objects \(s.objectsCommitted) committed, \(s.objectsAlreadyDone) already done, \(s.objectsFailed) failed (of \(s.objectsTotal))",
            "rows \(s.rowsRead) read, \(s.rowsRejected) rejected\(s.boundaries.isEmpty ? "" : ", \(s.rowsAfterBoundary) left to the \(s.mode == "live" ? "backfill" : "live") side (boundary \(s.boundaries.sorted { $0.key < $1.key }.map { "\($0.key) \(formatMillis($0.value))" }.joined(separator: ", ")))")",
            "buckets \(s.bucketsWritten) written in \(s.commits) commit(s); \(String(format: "%.2f", s.seconds)) s, \(rate) rows/s",
        ]
        if let w = s.writeRequests {
            let parts = s.writeRequestsByOperation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("DynamoDB write requests \(w)\(parts.isEmpty ? "" : " (\(parts))")\(s.writeRequestsPerRow.map { String(format: ", %.4f per source row", $0) } ?? "")")
        }
        if s.pacedSeconds >= 0.01 {
            lines.append("write rate limited: commits waited \(String(format: "%.2f", s.pacedSeconds)) s in all for \(s.writeUnits) write units")
        }
        return lines
    }

    static func json(_ s: RunSummary) -> String {
        var failures = "["
        for (i, f) in s.failures.enumerated() {
            if i > 0 { failures += ", " }
            failures += jsonQuote(f)
        }
        failures += "]"
        return """
            {"run_id": \(s.runID), "dry_run": \(s.dryRun), "objects": {"total": \(s.objectsTotal), "committed": \(s.objectsCommitted), \
            "already_done": \(s.objectsAlreadyDone), "failed": \(s.objectsFailed)}, "rows": {"read": \(s.rowsRead), \
            "rejected": \(s.rowsRejected), "after_boundary": \(s.rowsAfterBoundary), "outside_range": \(s.rowsOutsideRange)}, \
            "row_groups_skipped": \(s.rowGroupsSkipped), "boundaries": {\(s.boundaries.sorted { $0.key < $1.key }.map { "\(jsonQuote($0.key)): \"\(formatMillis($0.value))\"" }.joined(separator: ", "))}, "buckets_written": \(s.bucketsWritten), \
            "commits": \(s.commits), "seconds": \(String(format: "%.3f", s.seconds)), \
            "write_requests": \(s.writeRequests.map(String.init) ?? "null"), \
            "write_requests_by_operation": {\(s.writeRequestsByOperation.sorted { $0.key < $1.key }.map { "\(jsonQuote($0.key)): \($0.value)" }.joined(separator: ", "))}, \
            "write_requests_per_row": \(s.writeRequestsPerRow.map { String(format: "%.6f", $0) } ?? "null"), \
            "write_units": \(s.writeUnits), "paced_seconds": \(String(format: "%.3f", s.pacedSeconds)), "failures": \(failures)}
            """
    }
}
