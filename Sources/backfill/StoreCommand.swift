import ArgumentParser
import Backfill
import Foundation
import StateStores

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Set up a state store.",
        subcommands: [StoreInitCommand.self])
}

struct StoreInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the store's table (DynamoDB) or schema (SQLite, PostgreSQL) and say what was created.",
        discussion: """
            dynamodb://TABLE: creates the table (string keys pk HASH and sk RANGE, on-demand PAY_PER_REQUEST billing) \
            and waits until it is ACTIVE; an existing table is reported, not an error (one with other keys is). \
            sqlite:PATH and postgres://: run the schema migrations. Running it again changes nothing. \
            With --format json: {"store", "kind", "target", "created": [...], "existing": [...], \
            "schema_version": {"before", "after"}, "details": [...]}.
            """)

    @Argument(help: "The store URL: sqlite:PATH, postgres://user:password@host:port/db, or dynamodb://TABLE?region=REGION[&endpoint=URL].")
    var url: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        do {
            let store = try StoreURL.open(url)
            let r = try await store.initialize()
            var out = StandardOutput()
            defer { out.flush() }
            if format == .json {
                func list(_ items: [String]) -> String { "[" + items.map(jsonQuote).joined(separator: ", ") + "]" }
                out.line("""
                    {"store": \(jsonQuote(redactedStoreURL(url))), "kind": \(jsonQuote(r.kind)), "target": \(jsonQuote(r.target)), \
                    "created": \(list(r.created)), "existing": \(list(r.existing)), \
                    "schema_version": {"before": \(r.schemaVersionBefore), "after": \(r.schemaVersion)}, "details": \(list(r.details))}
                    """)
                return
            }
            let kind = ["sqlite": "SQLite", "postgres": "PostgreSQL", "dynamodb": "DynamoDB"][r.kind] ?? r.kind
            if r.created.isEmpty && r.schemaVersionBefore == r.schemaVersion {
                out.line("\(kind) \(r.target): nothing to create, already set up (schema version \(r.schemaVersion))")
            } else {
                if !r.created.isEmpty { out.line("\(kind) \(r.target): created \(r.created.joined(separator: ", "))") }
                out.line("\(r.created.isEmpty ? "\(kind) \(r.target): " : "")schema version \(r.schemaVersionBefore) -> \(r.schemaVersion)")
            }
            if !r.existing.isEmpty { out.line("already there: \(r.existing.joined(separator: ", "))") }
            for d in r.details { out.line(d) }
        } catch {
            throw fail(error)
        }
    }
}
