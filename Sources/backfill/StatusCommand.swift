import ArgumentParser
import Backfill
import Foundation
import StateStores

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show runs recorded in a store: objects done, already done and failed, rows, and timings.")

    @Option(help: "The store URL, e.g. sqlite:./backfill.sqlite.")
    var store: String

    @Option(help: "How many recent runs to show.")
    var limit: Int = 20

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        do {
            let s = try StoreURL.open(store)
            try await s.migrate()
            let runs = try await s.runs(limit: limit)
            var out = StandardOutput()
            defer { out.flush() }
            var items: [String] = []
            for r in runs {
                let failures = try await s.failures(runID: r.id)
                let seconds = r.finishedAt.map { $0 - r.startedAt }
                if format == .json {
                    items.append("""
                        {"id": \(r.id), "kind": "\(r.kind)", "status": "\(r.status)", "config_hash": "\(r.configHash)", \
                        "started_at": \(iso(r.startedAt)), "seconds": \(seconds.map { String(format: "%.3f", $0) } ?? "null"), \
                        "objects": {"committed": \(r.objectsCommitted), "already_done": \(r.objectsSkipped), "failed": \(r.objectsFailed)}, \
                        "rows": {"read": \(r.rowsRead), "rejected": \(r.rowsRejected)}, "buckets_written": \(r.bucketsWritten), \
                        "failures": [\(failures.map { "{\"url\": \(jsonQuote($0.url)), \"error\": \(jsonQuote($0.error))}" }.joined(separator: ", "))]}
                        """)
                } else {
                    out.line("run \(r.id) (\(r.kind)) \(r.status), started \(iso(r.startedAt).dropFirst().dropLast())\(seconds.map { String(format: ", %.2f s", $0) } ?? ""), config \(r.configHash)")
                    out.line("  objects: \(r.objectsCommitted) committed, \(r.objectsSkipped) already done, \(r.objectsFailed) failed; rows: \(r.rowsRead) read, \(r.rowsRejected) rejected; buckets: \(r.bucketsWritten)")
                    for f in failures { out.line("  failed: \(f.url): \(f.error)") }
                    if let m = r.message, failures.isEmpty { out.line("  \(m)") }
                }
            }
            let open = try await s.replacements().filter { $0.state == .inProgress }
            let boundaries = try await s.boundaries().sorted { $0.key < $1.key }
            let leases = try await s.activeLeases()
            let byWorker = Dictionary(grouping: leases, by: \.worker).sorted { $0.key < $1.key }
            let now = Date().timeIntervalSince1970
            if format == .json {
                let workers = byWorker.map { w, l in
                    "{\"worker\": \(jsonQuote(w)), \"objects_leased\": \(l.count), \"lease_expires_in_s\": \(String(format: "%.1f", (l.map(\.expiresAt).max() ?? now) - now))}"
                }
                out.line("""
                    {"workers": [\(workers.joined(separator: ", "))], "replacements_in_progress": [\(open.map(ReplacementText.json).joined(separator: ", "))], \
                    "boundaries": {\(boundaries.map { "\(jsonQuote($0.key)): \"\(formatMillis($0.value))\"" }.joined(separator: ", "))}, \
                    "runs": [\(items.joined(separator: ", "))]}
                    """)
            } else {
                if runs.isEmpty { out.line("no runs recorded in \(store)") }
                for r in open {
                    out.line("replace \(r.id) IN PROGRESS on \(r.worker): \(formatMillis(r.from)) to \(formatMillis(r.to)), last heartbeat \(formatSeconds(r.heartbeatAt))")
                }
                for (p, at) in boundaries { out.line("boundary of \(p): \(formatMillis(at)) (backfills write before it, the live side after)") }
                for (w, l) in byWorker {
                    out.line("worker \(w): \(l.count) object(s) leased, lease expires in \(String(format: "%.0f", (l.map(\.expiresAt).max() ?? now) - now)) s")
                }
            }
        } catch {
            throw fail(error)
        }
    }

    func iso(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        return "\"\(f.string(from: Date(timeIntervalSince1970: t)))\""
    }
}
