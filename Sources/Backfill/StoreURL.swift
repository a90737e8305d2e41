import StateStores

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
        throw RunError("store \(url): unknown store URL (expected sqlite:PATH, postgres://user:password@host:port/db or dynamodb://TABLE?region=REGION)")
    }
}
