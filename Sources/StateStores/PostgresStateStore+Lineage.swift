import Aggregation

// Lineage on Postgres: NOT YET IMPLEMENTED (being built); every operation throws.
extension PostgresStateStore {
    private func notYet(_ what: String) -> LineageError { LineageError("\(what) is not implemented on the Postgres store yet") }
    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart { throw notYet("replace") }
    public func heartbeatReplacement(id: Int64, worker: String) async throws { throw notYet("replace") }
    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement { throw notYet("replace") }
    public func failReplacement(id: Int64, message: String) async throws { throw notYet("replace") }
    public func revertReplacement(id: Int64) async throws -> Replacement { throw notYet("revert") }
    public func replacements() async throws -> [Replacement] { [] }
    public func setBoundary(pipeline: String, at: Int64?) async throws { throw notYet("boundary") }
    public func boundaries() async throws -> [String: Int64] { [:] }
    public func segmentAggregates(pipeline: String, window: WindowKind, segmentFrom: Int64, segmentTo: Int64) async throws -> [AggregateRow] { throw notYet("verify") }
    public func collectGarbage(before: Double) async throws -> GarbageCollected { throw notYet("gc") }
    public func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]] { throw notYet("replace") }
}
