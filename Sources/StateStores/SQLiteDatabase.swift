import CSQLite

/// An error from SQLite, with the statement or operation that failed.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public var description: String { "sqlite: \(message) (code \(code))" }
}

/// A thin, synchronous wrapper over one SQLite connection (the system's libsqlite3).
/// Not thread-safe by itself: `SQLiteStateStore` serializes access.
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String

    /// Process-wide SQLite settings, applied before the first connection opens.
    private static let configured: Bool = {
        _ = backfill_sqlite_disable_memstatus()
        return true
    }()

    /// Opens `path`: read-write (created when missing) or read-only (SQLITE_OPEN_READONLY: never created, never written).
    init(path: String, readOnly: Bool = false) throws {
        _ = Self.configured
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 30_000)
    }

    deinit { sqlite3_close_v2(handle) }

    func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: "\(context): \(String(cString: sqlite3_errmsg(handle)))")
    }

    /// Runs one or more statements with no results.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: "\(text) in: \(sql.prefix(200))")
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare \(sql.prefix(200))") }
        return SQLiteStatement(db: self, stmt: stmt)
    }

    /// Runs `body` in one IMMEDIATE transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement; bind, step, read columns, reset.
final class SQLiteStatement {
    let db: SQLiteDatabase
    let stmt: OpaquePointer

    init(db: SQLiteDatabase, stmt: OpaquePointer) {
        self.db = db
        self.stmt = stmt
    }

    deinit { sqlite3_finalize(stmt) }

    @discardableResult
    func bind(_ index: Int32, _ value: Int64) -> Self {
        sqlite3_bind_int64(stmt, index, value)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: Double) -> Self {
        sqlite3_bind_double(stmt, index, value)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: String?) -> Self {
        if let value {
            sqlite3_bind_text(stmt, index, value, -1, backfill_sqlite_transient())
        } else {
            sqlite3_bind_null(stmt, index)
        }
        return self
    }

    @discardableResult
    func bind(_ index: Int32, blob: [UInt8]) -> Self {
        blob.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(stmt, index, raw.baseAddress, Int32(raw.count), backfill_sqlite_transient())
        }
        return self
    }

    @discardableResult
    func bindNull(_ index: Int32) -> Self {
        sqlite3_bind_null(stmt, index)
        return self
    }

    /// Steps once; true when a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc, "step \(String(cString: sqlite3_sql(stmt)).prefix(120))")
    }

    /// Steps to completion and resets, for statements without results.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    /// Steps to completion and resets, keeping the bindings (for a statement whose every parameter is bound
    /// before each run).
    func runKeepingBindings() throws {
        defer { sqlite3_reset(stmt) }
        while try step() {}
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
    func type(_ column: Int32) -> Int32 { sqlite3_column_type(stmt, column) }
    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(stmt, column) else { return nil }
        return String(cString: text)
    }
    /// The blob of a column, valid only inside `body`.
    func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(stmt, column)
        let n = Int(sqlite3_column_bytes(stmt, column))
        return try body(UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }

    func blob(_ column: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, column))
        guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
