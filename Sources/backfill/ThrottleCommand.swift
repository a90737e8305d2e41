import ArgumentParser
import Backfill
import Foundation
import StateStores

struct ThrottleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle",
        abstract: "Show or change the write rate of the jobs running on a store (0 pauses them).",
        discussion: """
            The rate is kept in the store; every running `backfill run` on it reads it about once a second and paces \
            its commits with it (each process on its own, its workers sharing one token bucket; with --max-write-units \
            the smaller rate applies). 0 pauses commits: workers wait, their object leases stay renewed, and they go on \
            when the rate is raised or cleared. A write unit is 2 per item and KB of a DynamoDB transactional write, or \
            one partial row for SQLite and PostgreSQL. Without RATE or --clear, prints the current setting. \
            With --format json: {"store", "max_write_units" (null: no cap), "paused", "set_at"}.
            """)

    @Option(help: "The store URL, e.g. sqlite:./backfill.sqlite or dynamodb://TABLE?region=REGION.")
    var store: String

    @Argument(help: "Write units per second (0 pauses).")
    var rate: Double?

    @Flag(help: "Remove the cap: jobs write as fast as the store takes it.")
    var clear = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
        if rate != nil && clear { throw ValidationError("give either RATE or --clear, not both") }
        if let rate, !(rate.isFinite && rate >= 0 && rate <= WriteRateSetting.maximum) {
            throw ValidationError("RATE must be a number of write units per second from 0 to \(Int64(WriteRateSetting.maximum))")
        }
    }

    func run() async throws {
        do {
            let s = try StoreURL.open(store)
            try await s.migrate()
            if clear {
                try await s.setWriteRateLimit(nil)
            } else if let rate {
                try await s.setWriteRateLimit(rate)
            }
            let setting = try await s.writeRateLimit()
            var out = StandardOutput()
            defer { out.flush() }
            let name = redactedStoreURL(store)
            if format == .json {
                let at = setting.map { jsonQuote(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0.setAt))) } ?? "null"
                out.line("{\"store\": \(jsonQuote(name)), \"max_write_units\": \(setting.map { rateText($0.unitsPerSecond) } ?? "null"), \"paused\": \(setting?.unitsPerSecond == 0), \"set_at\": \(at)}")
                return
            }
            let verb = clear ? "removed the write rate cap; " : rate != nil ? "set; " : ""
            switch setting?.unitsPerSecond {
            case nil:
                out.line("\(name): \(verb)no write rate cap")
            case 0?:
                out.line("\(name): \(verb)paused (rate 0): running jobs commit nothing until the rate is raised or cleared")
            case let r?:
                out.line("\(name): \(verb)write rate cap \(rateText(r)) write units/s")
            }
            if rate != nil || clear { out.line("running jobs on this store follow it within about 2 s") }
        } catch {
            throw fail(error)
        }
    }

    func rateText(_ r: Double) -> String {
        r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(r)
    }
}

/// A store URL fit to print: a password in it is replaced by `***`.
func redactedStoreURL(_ url: String) -> String {
    guard url.hasPrefix("postgres"), var c = URLComponents(string: url), c.password != nil else { return url }
    c.password = "***"
    return c.string ?? "postgres://***"
}
