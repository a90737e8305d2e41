import Aggregation
import Foundation

/// The pipelines a store has registered, as every backend keeps them: name → id and id → monoid, filled from the
/// store's pipeline table or items, with the checks `register` makes. Thread-safe.
final class PipelineRegistry: @unchecked Sendable {
    /// One stored pipeline: its id, stored monoid text and time zone.
    struct Stored: Sendable {
        var name: String
        var id: Int64
        var monoid: String
        var timeZone: String
    }

    /// Where the pipelines are, for messages ("/path/s.sqlite", "postgres://user@host/db", "dynamodb://table").
    let location: String
    private let lock = NSLock()
    private var ids: [String: Int64] = [:]
    private var monoids: [Int64: Monoid] = [:]

    init(location: String) { self.location = location }

    /// Records stored pipelines (a monoid this backfill cannot parse is left unknown: reads of it then fail).
    func load(_ stored: [Stored]) {
        lock.withLock {
            for p in stored {
                ids[p.name] = p.id
                if let kind = try? MonoidKind(parsingStored: p.monoid) { monoids[p.id] = Monoid(kind) }
            }
        }
    }

    /// Records a pipeline registered (or found) with this monoid.
    func record(_ name: String, id: Int64, monoid: Monoid) {
        lock.withLock {
            ids[name] = id
            monoids[id] = monoid
        }
    }

    /// The check of `register`: a pipeline stored with another monoid is an error.
    func check(_ proposed: PipelineDefinition, storedMonoid: String) throws {
        guard storedMonoid == proposed.monoid.kind.storedText else {
            throw StoreError(.pipeline, "pipeline '\(proposed.name)' is stored with monoid \(storedMonoid), the config says \(proposed.monoid.kind.storedText); use a new pipeline name")
        }
    }

    /// The id of `name` when known.
    func id(_ name: String) -> Int64? { lock.withLock { ids[name] } }

    /// The id of `name`, loading the stored pipelines once when it is not known yet (another process registered it).
    func id(of name: String, loading stored: () async throws -> [Stored]) async throws -> Int64 {
        if let id = id(name) { return id }
        load(try await stored())
        guard let id = id(name) else { throw unknown(name) }
        return id
    }

    /// The same, for a store whose reads are synchronous (SQLite, under its lock).
    func id(of name: String, loadingNow stored: () throws -> [Stored]) throws -> Int64 {
        if let id = id(name) { return id }
        load(try stored())
        guard let id = id(name) else { throw unknown(name) }
        return id
    }

    /// The id and monoid of `name` (loading as `id(of:loading:)`), for reads.
    func pipeline(_ name: String, loading stored: () async throws -> [Stored]) async throws -> (id: Int64, monoid: Monoid) {
        let id = try await id(of: name, loading: stored)
        guard let monoid = monoid(id) else { throw unknownMonoid(name) }
        return (id, monoid)
    }

    /// The monoid of pipeline `id` when known.
    func monoid(_ id: Int64) -> Monoid? { lock.withLock { monoids[id] } }

    /// Names by id.
    var names: [Int64: String] { lock.withLock { Dictionary(ids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) } }

    var isEmpty: Bool { lock.withLock { ids.isEmpty } }

    /// The error for a pipeline the store does not have.
    func unknown(_ name: String) -> StoreError {
        let known = lock.withLock { ids.keys.sorted() }
        return StoreError(.pipeline, "no pipeline '\(name)' in \(location) (pipelines: \(known.joined(separator: ", ")))")
    }

    /// The error for a pipeline whose stored monoid this backfill does not know.
    func unknownMonoid(_ name: String) -> StoreError {
        StoreError(.corrupt, "pipeline '\(name)' in \(location) has a monoid this backfill does not know")
    }

    /// The pipelines as `pipelines()` returns them, in id order.
    static func definitions(_ stored: [Stored]) throws -> [PipelineDefinition] {
        try stored.sorted { $0.id < $1.id }.map {
            PipelineDefinition(name: $0.name, monoid: Monoid(try MonoidKind(parsingStored: $0.monoid)), timeZone: $0.timeZone)
        }
    }
}
