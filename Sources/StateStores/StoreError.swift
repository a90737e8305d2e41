/// The one error type of the state stores: what went wrong (`kind`), the message to show, and the server's SQLSTATE
/// when PostgreSQL raised it. Backends' own wire errors (`SQLiteError`, `DynamoDBError`, PostgresNIO's) stay what
/// their libraries raise; everything the stores decide themselves is a `StoreError`.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// A lineage operation that cannot be done (revert of a replacement that is not the latest, unknown id, ...).
        case lineage
        /// A pipeline unknown to the store, or registered with another monoid.
        case pipeline
        /// A commit refused (an object already in the ledger, an overflow): nothing of it was written.
        case commitRefused
        /// What the store holds cannot be read (an unknown window or monoid code, a malformed item).
        case corrupt
        /// The store (file, database schema, table) is not there, or too new, for the access asked.
        case unavailable
        /// A write asked of a store opened read-only.
        case readOnly
        /// A store URL that names no store this backfill knows.
        case invalidURL
        /// The server or the store's client failed.
        case server
    }

    public var kind: Kind
    public var message: String
    /// The server's SQLSTATE, when PostgreSQL raised it.
    public var sqlState: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
    }

    /// A lineage error (the old `LineageError(message)`).
    public init(_ message: String) { self.init(.lineage, message) }

    public var description: String { message }
}

/// The old names of `StoreError`.
public typealias LineageError = StoreError
public typealias PostgresStoreError = StoreError
