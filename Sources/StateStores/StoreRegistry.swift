import Foundation

/// How a command uses a store: read-only commands (`plan`, `query`, `status`, `lineage`, `boundary show`, `throttle`
/// without a rate, `verify`'s reads) never create, migrate or write one; the others may create it and upgrade its schema.
public enum StoreAccess: Sendable, Equatable {
    /// Opens an existing store as it is; a missing file, database schema or table is an error naming it.
    case readOnly
    /// Creates the store when missing and migrates its schema.
    case readWrite
}

/// The kinds of store a URL can name.
public enum StoreBackend: String, Sendable, CaseIterable {
    case sqlite, postgres, dynamodb
}

/// Store URLs → stores: `sqlite:PATH` (or a path ending `.sqlite`/`.db`),
/// `postgres://user:password@host:port/db?sslmode=disable` (`postgresql://` too), or
/// `dynamodb://TABLE?region=REGION[&endpoint=URL]` (credentials from the AWS environment).
public enum StoreRegistry {
    /// The kind of store `url` names; an unknown URL is an error (its password redacted).
    public static func kind(of url: String) throws -> StoreBackend {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return .postgres }
        if url.hasPrefix("dynamodb://") { return .dynamodb }
        if url.hasPrefix("sqlite:") || url.hasSuffix(".sqlite") || url.hasSuffix(".db") { return .sqlite }
        throw StoreError(.invalidURL, "store \(redacted(url)): unknown store URL (expected sqlite:PATH, postgres://user:password@host:port/db or dynamodb://TABLE?region=REGION)")
    }

    /// Opens the store `url` names for `access`: read-write creates and migrates it; read-only opens what is there,
    /// never creating, migrating or writing (writes through the result are refused), and fails naming the store when
    /// it is missing.
    public static func open(_ url: String, access: StoreAccess) async throws -> any StateStore {
        let store = try backend(url, access: access)
        switch access {
        case .readWrite:
            try await store.migrate()
            return store
        case .readOnly:
            do {
                try await store.checkReadable()
            } catch {
                await store.close()
                throw error
            }
            return ReadOnlyStateStore(store, name: redacted(url))
        }
    }

    /// The backend store `url` names, constructed but not yet touched (no connection, no schema check): whoever
    /// takes it migrates it (`Runner` does) or checks it (`checkReadable`). SQLite's read-only access opens the file
    /// read-only (a missing one is an error here).
    public static func backend(_ url: String, access: StoreAccess = .readWrite) throws -> any StateStore {
        switch try kind(of: url) {
        case .sqlite: return try SQLiteStateStore(url: url, access: access)
        case .postgres: return try PostgresStateStore(url: url)
        case .dynamodb: return try DynamoDBStateStore(url: url)
        }
    }

    /// A scratch store of its own in `directory` (created if needed), migrated: where `verify` recomputes.
    public static func scratch(directory: String) async throws -> any StateStore {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SQLiteStateStore(path: (directory as NSString).appendingPathComponent("recomputed.sqlite"))
        try await store.migrate()
        return store
    }

    /// The check of a read-only open: the store has a backfill schema (`found` nil: none) of exactly this backfill's
    /// version (an older one needs a write command or `store init` to upgrade it first).
    static func checkSchema(found: Int?, current: Int, store: String) throws {
        guard let found, found > 0 else {
            throw StoreError(.unavailable, "store \(store) has no backfill schema (a read-only command never creates one; run, replace or store init does)")
        }
        guard found <= current else {
            throw StoreError(.unavailable, "store \(store) has schema version \(found), newer than this backfill (\(current)); upgrade backfill")
        }
        guard found == current else {
            throw StoreError(.unavailable, "store \(store) has schema version \(found), older than this backfill (\(current)); run `backfill store init` to upgrade it")
        }
    }

    /// `url` with any password replaced by `***` (`postgres://user:***@host/db`), for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<rest.index(after: colon)]) + "***" + String(url[at...])
    }
}
