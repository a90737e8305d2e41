import StateStores

/// Opens the store a URL names: `sqlite:PATH` (PostgreSQL and DynamoDB come with their issue).
public enum StoreURL {
    public static func open(_ url: String) throws -> any StateStore {
        if url.hasPrefix("sqlite:") || url.hasSuffix(".sqlite") || url.hasSuffix(".db") {
            return try SQLiteStateStore(url: url)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") || url.hasPrefix("dynamodb://") {
            throw RunError("store \(url): PostgreSQL and DynamoDB stores are not built yet; use sqlite:PATH")
        }
        throw RunError("store \(url): unknown store URL (expected sqlite:PATH)")
    }
}
