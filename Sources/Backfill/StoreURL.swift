import Foundation
import StateStores

/// How a command uses a store: read-only commands (`plan`, `query`, `status`, `lineage`, `boundary show`, `throttle`
/// without a rate, `verify`'s reads) never create, migrate or write one; the others may create it and upgrade its schema.
public enum StoreAccess: Sendable, Equatable {
    /// Opens an existing store as it is; a missing file, database or table is an error naming it.
    case readOnly
    /// Creates the store when missing and migrates its schema.
    case readWrite
}

/// Opens the store a URL names: `sqlite:PATH`, or `postgres://user:password@host:port/db?sslmode=disable`
/// (`postgresql://` too), or `dynamodb://TABLE?region=REGION[&endpoint=URL]` (credentials from the AWS environment).
public enum StoreURL {
    public static func open(_ url: String) throws -> any StateStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresStateStore(url: url)
        }
        if url.hasPrefix("sqlite:") || url.hasSuffix(".sqlite") || url.hasSuffix(".db") {
            return try SQLiteStateStore(url: url)
        }
        if url.hasPrefix("dynamodb://") {
            return try DynamoDBStateStore(url: url)
        }
        throw RunError("store \(redacted(url)): unknown store URL (expected sqlite:PATH, postgres://user:password@host:port/db or dynamodb://TABLE?region=REGION)")
    }

    /// Opens a store for `access`. (Transitional: `.readOnly` still migrates until the StateStores registry lands.)
    public static func open(_ url: String, access: StoreAccess) async throws -> any StateStore {
        let store = try open(url)
        try await store.migrate()
        return store
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
