import StateStores

/// Opens the store a URL names: `sqlite:PATH`, or `postgres://user:password@host:port/db?sslmode=disable`
/// (`postgresql://` too). DynamoDB comes with its issue.
public enum StoreURL {
    public static func open(_ url: String) throws -> any StateStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresStateStore(url: url)
        }
        if url.hasPrefix("sqlite:") || url.hasSuffix(".sqlite") || url.hasSuffix(".db") {
            return try SQLiteStateStore(url: url)
        }
        if url.hasPrefix("dynamodb://") {
            throw RunError("store \(url): the DynamoDB store is not built yet; use sqlite:PATH or postgres://")
        }
        throw RunError("store \(url): unknown store URL (expected sqlite:PATH or postgres://user:password@host:port/db)")
    }
}
