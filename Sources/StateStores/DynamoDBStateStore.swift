import AWS
import Aggregation
import Foundation

/// The serverless store: one DynamoDB table.
///
/// URL: `dynamodb://TABLE?region=REGION&endpoint=URL` (both optional: the AWS configuration — `AWS_REGION`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, profiles — fills them in; credentials always come from it unless passed in).
///
/// Layout: every item has a string partition key `pk` and sort key `sk`.
///
/// | item            | pk                      | sk                                           | attributes |
/// |-----------------|-------------------------|----------------------------------------------|------------|
/// | schema version  | `META`                  | `SCHEMA`                                     | `v` |
/// | id counters     | `META`                  | `SEQ#PIPELINE`, `SEQ#RUN`, `SEQ#REPLACEMENT` | `n` |
/// | generations used | `META`                 | `GENERATIONS`                                | `gens` (number set: every generation > 0 written or begun) |
/// | lineage version | `META`                  | `LINEAGE`                                    | `v` (bumped, conditionally, by every replacement state change) |
/// | pipeline        | `PIPE`                  | name                                         | `id`, `monoid`, `tz`, `created` |
/// | partial         | `P#<pipeline id>#W#<window code>` | `<keypart>#B#<bucket>#S#<segment>#G#<generation>` | `k` (key), `bk`, `sg`, `g`, `i` (integer value) or `b` (encoded partial), `ver` |
/// | replacement     | `REPL`                  | id, 20 digits                                | the `Replacement` fields; `state` is the switch; `prev` (JSON runs) |
/// | lineage candidate | `L#<pipeline id>`     | `R#<generation, 20 digits>`                  | `rid` (replacement id), `g`, `sf`, `st`, `sm` (its segments) |
/// | live boundary   | `BOUND`                 | pipeline name                                | `at` |
/// | object ledger   | `LG#<pipeline id>`      | `G#<generation>#U#<url>`                     | `url`, `version`, `run`, `rows`, `rejected`, `after`, `seconds`, `at`, `grp` |
/// | chunk ledger    | `CH#<group id>`         | `C#<chunk index>`                            | `run`, `at` |
/// | run             | `RUN`                   | id, 20 digits                                | the `RunRecord` fields |
/// | failure         | `F#<run id>`            | a UUID                                       | `url`, `error`, `at` |
/// | object lease    | `LEASE`                 | `U#<url>` (`H#<sha-256 of the url>` over 1000 bytes) | `url`, `worker`, `expires` (epoch s) |
/// | setting         | `META`                  | `SETTING#max_write_units`                    | `v` (write units/s; 0 = paused), `at` |
///
/// `<keypart>` is `K#<key>`, or `H#<sha-256 of the key>` for keys over 400 bytes (sort keys are limited to
/// 1 KiB); the key itself is always in `k`. Buckets and segments in sort keys are 16 hex digits of the value with
/// its sign bit flipped, so they sort as numbers. Queries read one partition (`pk` = pipeline and window, with
/// `begins_with(sk, keypart#B#)` for a key) and combine the segments' active generations in Swift, sorted by key
/// (UTF-8 bytes) then bucket. A segment's active generation is that of the latest completed replacement whose
/// candidate covers it, else 0; the live generation (-1) is always read. See DynamoDBStateStore+Lineage.swift for
/// why a replacement's switch is one conditional write of its replacement item, however many segments it covers.
///
/// Exactly once, without a dedup table: a commit's partial updates are grouped into `TransactWriteItems` of at
/// most 99 updates plus ONE conditional chunk-ledger item (`attribute_not_exists(pk)`) keyed by the batch's group
/// id (a hash of its generation, objects and partials) and the chunk's index: a chunk applies once or not at all,
/// and a retry of an applied chunk (dropped connection, crash and rerun of the same objects) fails that condition
/// and is skipped. A batch small enough for one transaction also puts its object-ledger items in it (conditional
/// on their absence), so it is fully atomic; a larger one checks the ledger first and writes the ledger items
/// after its chunks (a conflicting concurrent commit of the same objects can then leave partials of the later
/// chunks behind: commit an object from one process at a time).
///
/// Integer sums and counts `ADD` in place, guarded against 64-bit overflow and stored non-integers by the
/// condition; every other partial is read (consistently), combined in Swift and written back compare-and-swap on
/// its `ver` attribute; a lost race re-reads and retries the chunk.
///
/// Leases (several processes sharing one job) are single-item conditional writes: taking one is a PutItem with
/// `attribute_not_exists(pk) OR expires < :now OR worker = :me`; renewing and releasing are conditional on
/// `worker = :me`, so a worker whose lease expired and was taken over cannot touch the new holder's lease.
///
/// Write pacing (`CommitBatch.pacer`): every transaction acquires its write units first, 2 per item and KB
/// started (transactional writes cost double), from an estimate of the items' sizes.
public final class DynamoDBStateStore: StateStore, PartialRowSource, WriteRequestCounting, @unchecked Sendable {
    public let table: String
    public let url: String
    let db: DynamoDBClient
    let lock = NSLock()
    let registry: PipelineRegistry
    /// Generations this store already recorded in the generation set (`META` / `GENERATIONS`).
    private var recordedGenerations = Set<Int64>()
    private var isShutDown = false

    static let schemaVersion: Int64 = 1
    /// Updates per transaction next to the chunk-ledger item (DynamoDB allows 100 items).
    static let chunkSize = 99
    static let maxChunkAttempts = 12
    /// Keys longer than this (UTF-8 bytes) are hashed in sort keys.
    static let maxInlineKeyBytes = 400

    /// - Parameters:
    ///   - configuration: credentials (and the region/endpoint when the URL has none); nil resolves the environment.
    public init(url: String, configuration: AWSConfiguration? = nil) throws {
        self.url = url
        guard url.hasPrefix("dynamodb://") else {
            throw StoreError(.invalidURL, "store URL \(url): expected dynamodb://TABLE?region=REGION[&endpoint=URL]")
        }
        let rest = url.dropFirst("dynamodb://".count)
        let tablePart = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var table = tablePart
        while table.hasSuffix("/") { table.removeLast() }
        guard (3...255).contains(table.count), table.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw StoreError(.invalidURL, "store URL \(url): '\(table)' is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)")
        }
        var query: [String: String] = [:]
        for item in URLComponents(string: "x://h/?" + (rest.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""))?.queryItems ?? [] {
            query[item.name] = item.value ?? ""
        }
        let config = try configuration ?? AWSConfiguration.fromEnvironment()
        let region = query["region"].flatMap { $0.isEmpty ? nil : $0 } ?? config.region
        let endpoint = query["endpoint"].flatMap { $0.isEmpty ? nil : $0 } ?? config.endpointURL(service: "dynamodb")
            ?? "https://dynamodb.\(region).amazonaws.com"
        self.table = table
        registry = PipelineRegistry(location: "dynamodb://\(table)")
        self.db = try DynamoDBClient(endpoint: endpoint, region: region, credentials: config.credentials)
    }

    /// Write requests this store's client sent so far (every attempt of TransactWriteItems, PutItem, UpdateItem,
    /// BatchWriteItem and DeleteItem).
    public var writeRequestsSent: Int { db.writeRequestsSent }
    public var writeRequestsByOperation: [String: Int] { db.writeRequestsByOperation }

    /// Shuts the HTTP client down. Idempotent.
    public func close() async {
        let first: Bool = lock.withLock {
            defer { isShutDown = true }
            return !isShutDown
        }
        if first { try? await db.shutdown() }
    }

    func fail(_ kind: StoreError.Kind, _ message: String) -> StoreError {
        StoreError(kind, "\(url): \(message)")
    }

    func fail(_ message: String) -> StoreError { fail(.server, message) }

    // MARK: - Keys

    static func sortableHex(_ v: Int64) -> String {
        let u = UInt64(bitPattern: v) ^ (1 << 63)
        let s = String(u, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    static func keyPart(_ key: String) -> String {
        key.utf8.count <= maxInlineKeyBytes ? "K#" + key : "H#" + SigV4Signer.hexSHA256(Array(key.utf8))
    }

    static func partitionKey(pipeline: Int64, window: WindowKind) -> String { "P#\(pipeline)#W#\(window.code)" }

    static func sortKey(key: String, bucket: Int64, segment: Int64, generation: Int64) -> String {
        "\(keyPart(key))#B#\(sortableHex(bucket))#S#\(sortableHex(segment))#G#\(generation)"
    }

    // MARK: - Schema and pipelines

    public func migrate() async throws {
        try await db.createTableIfMissing(table)
        let meta = try await db.getItem(table, pk: "META", sk: "SCHEMA")
        let version = meta.flatMap { DynamoValue.int($0, "v") } ?? 0
        guard version <= Self.schemaVersion else {
            throw fail(.unavailable, "schema version \(version), newer than this backfill (\(Self.schemaVersion)); upgrade backfill")
        }
        if version < Self.schemaVersion {
            try await db.putItem(table, ["pk": DynamoValue.s("META"), "sk": DynamoValue.s("SCHEMA"), "v": DynamoValue.n(Self.schemaVersion)])
        }
        try await loadPipelines()
    }

    private func storedPipelines() async throws -> [PipelineRegistry.Stored] {
        let items = try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("PIPE")])
        return items.compactMap { item in
            guard let name = DynamoValue.string(item, "sk"), let id = DynamoValue.int(item, "id"), let m = DynamoValue.string(item, "monoid") else { return nil }
            return PipelineRegistry.Stored(name: name, id: id, monoid: m, timeZone: DynamoValue.string(item, "tz") ?? "UTC")
        }
    }

    private func loadPipelines() async throws {
        registry.load(try await storedPipelines())
    }

    func nextID(_ counter: String) async throws -> Int64 {
        let r = try await db.updateItem(table, pk: "META", sk: "SEQ#\(counter)", update: "ADD #n :one", names: ["#n": "n"],
                                        values: [":one": DynamoValue.n(Int64(1))], returnValues: "UPDATED_NEW")
        guard let id = DynamoValue.int(r, "n") else { throw fail("counter \(counter) returned no value") }
        return id
    }

    public func register(_ pipelines: [PipelineDefinition]) async throws {
        for p in pipelines {
            var registered = false
            for _ in 0..<5 where !registered {
                if let item = try await db.getItem(table, pk: "PIPE", sk: p.name) {
                    try registry.check(p, storedMonoid: DynamoValue.string(item, "monoid") ?? "")
                    registry.record(p.name, id: DynamoValue.int(item, "id") ?? 0, monoid: p.monoid)
                    registered = true
                    continue
                }
                let id = try await nextID("PIPELINE")
                do {
                    try await db.putItem(table, [
                        "pk": DynamoValue.s("PIPE"), "sk": DynamoValue.s(p.name), "id": DynamoValue.n(id),
                        "monoid": DynamoValue.s(p.monoid.kind.storedText), "tz": DynamoValue.s(p.timeZone),
                        "created": DynamoValue.n(Date().timeIntervalSince1970),
                    ], condition: "attribute_not_exists(pk)")
                    registry.record(p.name, id: id, monoid: p.monoid)
                    registered = true
                } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {
                    continue  // registered concurrently: compare with what won
                }
            }
            if !registered { throw fail("could not register pipeline '\(p.name)'") }
        }
    }

    func pipelineID(_ name: String) async throws -> Int64 {
        try await registry.id(of: name, loading: storedPipelines)
    }

    public func pipelines() async throws -> [PipelineDefinition] {
        try PipelineRegistry.definitions(try await storedPipelines())
    }

    // MARK: - Ledger

    public func ledger(pipelines: [String]) async throws -> [String: [LedgerEntry]] {
        var result: [String: [LedgerEntry]] = [:]
        if pipelines.contains(where: { registry.id($0) == nil }) { try await loadPipelines() }
        for name in pipelines {
            // Unknown pipelines have no ledger (as in the SQL stores); read errors are not swallowed.
            guard let pid = registry.id(name) else { continue }
            // Per URL: the highest generation among 0 and the completed replacements'.
            let completed = Set(try await activeLineage(pipelineID: pid).completed.map(\.generation))
            var best: [String: (Int64, LedgerEntry)] = [:]
            for generation in [0] + completed.sorted() {
                for (url, entry) in try await ledgerEntries(pipeline: name, pid: pid, generation: generation) {
                    if (best[url]?.0 ?? -1) < generation { best[url] = (generation, entry) }
                }
            }
            for (url, (_, entry)) in best { result[url, default: []].append(entry) }
        }
        return result
    }

    // MARK: - Commit

    /// One partial row to write: where it goes and what to combine in.
    private struct Op {
        var pk: String
        var sk: String
        var key: String
        var bucket: Int64
        var segment: Int64
        var value: PartialValue
        /// Integer sum/count: may `ADD` in place.
        var additive: Bool
        var monoid: Monoid
        var pipeline: String
    }

    /// What is stored for a partial: its value and version.
    private struct Stored {
        var value: PartialValue
        var version: Int64
    }

    private struct RowID: Hashable {
        var pk: String
        var sk: String
    }

    public func commit(_ batch: CommitBatch) async throws {
        if batch.generation > 0 { try await recordGeneration(batch.generation) }
        var ops: [Op] = []
        for given in batch.pipelines {
            let pid = try await pipelineID(given.pipeline.name)
            guard given.count > 0 else { continue }
            let part = try CommitNormalizer.normalized(given)
            let monoid = part.pipeline.monoid
            let additive = part.intValues != nil && (monoid.kind == .sum || monoid.kind == .count)
            var active: [Int64: Int64] = [:]
            if GenerationRoute.needsLineage(batch.generation) {
                let lineage = try await activeLineage(pipelineID: pid)
                for s in Set(part.segment) { active[s] = lineage.active(s) }
            }
            let route = GenerationRoute(written: batch.generation, active: active)
            for e in 0..<part.count {
                let key = part.keys[Int(part.keyIndex[e])]
                ops.append(Op(pk: Self.partitionKey(pipeline: pid, window: part.window[e]),
                              sk: Self.sortKey(key: key, bucket: part.bucket[e], segment: part.segment[e], generation: route.generation(part.segment[e])),
                              key: key, bucket: part.bucket[e], segment: part.segment[e], value: part.value(e), additive: additive,
                              monoid: monoid, pipeline: part.pipeline.name))
            }
        }
        // Object-ledger items: one per object and pipeline it names.
        let now = Date().timeIntervalSince1970
        var ledgerKeys: [(pk: String, sk: String)] = []
        var ledgerItems: [DynamoItem] = []
        var groupText = "gen=\(batch.generation)\n"
        for o in batch.objects {
            for name in o.pipelines {
                let pid = try await pipelineID(name)
                let pk = "LG#\(pid)", sk = "G#\(batch.generation)#U#\(o.object.url)"
                ledgerKeys.append((pk, sk))
                ledgerItems.append([
                    "pk": DynamoValue.s(pk), "sk": DynamoValue.s(sk), "url": DynamoValue.s(o.object.url),
                    "version": DynamoValue.s(o.object.version), "run": DynamoValue.n(batch.runID), "rows": DynamoValue.n(Int64(o.rowsRead)),
                    "rejected": DynamoValue.n(Int64(o.rowsRejected)), "after": DynamoValue.n(Int64(o.rowsAfterBoundary)),
                    "seconds": DynamoValue.n(o.seconds), "at": DynamoValue.n(now),
                ])
                groupText += "o\t\(pid)\t\(o.object.url)\t\(o.object.version)\n"
            }
        }
        if batch.objects.isEmpty { groupText += "unique=\(UUID().uuidString)\n" }
        var scratch: [UInt8] = []
        for op in ops {
            scratch.removeAll(keepingCapacity: true)
            op.monoid.encode(op.value, into: &scratch)
            groupText += "p\t\(op.pk)\t\(op.sk)\t\(SigV4Signer.hexSHA256(scratch))\n"
        }
        let group = SigV4Signer.hexSHA256(Array(groupText.utf8))
        for i in ledgerItems.indices { ledgerItems[i]["grp"] = DynamoValue.s(group) }

        if ops.count + ledgerItems.count + 1 <= 100 {
            // One transaction: partials, ledger and the chunk item, all or nothing.
            try await applyChunk(ops, group: group, index: 0, runID: batch.runID, ledger: ledgerItems, pacer: batch.pacer)
            return
        }
        if !ledgerKeys.isEmpty {
            let existing = try await db.batchGet(table, keys: ledgerKeys)
            if let first = existing.first, DynamoValue.string(first, "grp") != group {
                throw fail(.commitRefused, "commit refused, an object of this batch is already in the ledger (\(DynamoValue.string(first, "url") ?? "?")); nothing of the batch was written")
            }
        }
        var chunk = 0
        var start = 0
        while start < ops.count {
            let end = min(ops.count, start + Self.chunkSize)
            try await applyChunk(Array(ops[start..<end]), group: group, index: chunk, runID: batch.runID, ledger: [], pacer: batch.pacer)
            chunk += 1
            start = end
        }
        var li = 0
        while li < ledgerItems.count {
            let slice = ledgerItems[li..<min(ledgerItems.count, li + 100)]
            li += slice.count
            let items: [[String: Any]] = slice.map { item in
                ["Put": ["TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk) OR grp = :grp",
                         "ExpressionAttributeValues": [":grp": DynamoValue.s(group)]] as [String: Any]]
            }
            do {
                if let pacer = batch.pacer { try await pacer.acquire(Self.writeUnits(items)) }
                try await db.transactWrite(items)
            } catch let e as DynamoDBError where e.code == "TransactionCanceledException" {
                throw fail(.commitRefused, "commit: an object of this batch was committed concurrently by another process; its partials may count twice (\(e))")
            }
        }
    }

    /// Reads the stored partials of `ops` (consistently).
    private func readStored(_ ops: [Op]) async throws -> [RowID: Stored] {
        let items = try await db.batchGet(table, keys: ops.map { ($0.pk, $0.sk) })
        let monoidOf = Dictionary(ops.map { (RowID(pk: $0.pk, sk: $0.sk), $0.monoid) }, uniquingKeysWith: { a, _ in a })
        var out: [RowID: Stored] = [:]
        for item in items {
            guard let pk = DynamoValue.string(item, "pk"), let sk = DynamoValue.string(item, "sk") else { continue }
            let id = RowID(pk: pk, sk: sk)
            guard let monoid = monoidOf[id] else { continue }
            out[id] = Stored(value: try value(item, monoid), version: DynamoValue.int(item, "ver") ?? 0)
        }
        return out
    }

    func value(_ item: DynamoItem, _ monoid: Monoid) throws -> PartialValue {
        if let text = DynamoValue.numberText(item, "i") {
            guard let v = Int64(text) else { throw fail(.corrupt, "a stored integer partial (\(text)) does not fit 64 bits") }
            return .int(v)
        }
        guard let bytes = DynamoValue.bytes(item, "b") else {
            throw fail(.corrupt, "stored partial \(DynamoValue.string(item, "pk") ?? "?") \(DynamoValue.string(item, "sk") ?? "?") has no value (attributes: \(item.keys.sorted().joined(separator: ", ")))")
        }
        return try monoid.decode(bytes)
    }

    /// Applies one chunk (at most 99 partials, plus `ledger` items when the whole batch fits one transaction) with
    /// its chunk-ledger item; a chunk already applied is skipped.
    private func applyChunk(_ ops: [Op], group: String, index: Int, runID: Int64, ledger: [DynamoItem], pacer: (any WritePacer)?) async throws {
        // Partials that cannot ADD blindly are read first.
        var stored: [RowID: Stored]? = ops.allSatisfy(\.additive) ? nil : try await readStored(ops)
        var attempt = 0
        while true {
            attempt += 1
            var items: [[String: Any]] = []
            items.reserveCapacity(ops.count + ledger.count + 1)
            for op in ops {
                items.append(["Update": try update(op, stored: stored)])
            }
            items.append(["Put": [
                "TableName": table,
                "Item": ["pk": DynamoValue.s("CH#\(group)"), "sk": DynamoValue.s("C#\(index)"), "run": DynamoValue.n(runID),
                         "at": DynamoValue.n(Date().timeIntervalSince1970)],
                "ConditionExpression": "attribute_not_exists(pk)",
            ] as [String: Any]])
            let chunkPosition = items.count - 1
            for item in ledger {
                items.append(["Put": ["TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"] as [String: Any]])
            }
            do {
                if let pacer { try await pacer.acquire(Self.writeUnits(items)) }
                try await db.transactWrite(items)
                return
            } catch let e as DynamoDBError where e.code == "TransactionCanceledException" {
                let reasons = e.cancellationReasons
                if reasons.count == items.count {
                    if reasons[chunkPosition] == "ConditionalCheckFailed" { return }  // applied before: skip
                    if reasons[(chunkPosition + 1)...].contains("ConditionalCheckFailed") {
                        throw fail(.commitRefused, "commit refused, an object of this batch is already in the ledger; nothing of the batch was written")
                    }
                } else if try await db.getItem(table, pk: "CH#\(group)", sk: "C#\(index)") != nil {
                    return
                }
                guard attempt < Self.maxChunkAttempts else { throw fail("commit: gave up after \(attempt) conflicting attempts (\(e))") }
                if reasons.contains("TransactionConflict") {
                    try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0.01...0.05) * Double(attempt) * 1e9))
                }
                if reasons.contains(where: { $0 == "ThrottlingError" || $0 == "ProvisionedThroughputExceeded" }) {
                    // Throttled items cancel the transaction: back off (full jitter) before trying again.
                    try await Task.sleep(nanoseconds: UInt64(db.retry.delay(afterAttempt: attempt, unit: Double.random(in: 0...1)) * 1e9))
                }
                // A lost race, a stored non-integer or an overflow: look at what is stored and plan again.
                stored = try await readStored(ops)
            }
        }
    }

    /// The transaction's Update for one partial: `ADD` when nothing is known (integer fast path), else the
    /// combined value, compare-and-swap on `ver`.
    private func update(_ op: Op, stored: [RowID: Stored]?) throws -> [String: Any] {
        var names: [String: String] = ["#k": "k", "#bk": "bk", "#sg": "sg", "#g": "g", "#i": "i", "#b": "b", "#v": "ver"]
        var values: [String: Any] = [":k": DynamoValue.s(op.key), ":bk": DynamoValue.n(op.bucket), ":sg": DynamoValue.n(op.segment),
                                     ":g": DynamoValue.n(generation(of: op.sk))]
        var body: [String: Any] = ["TableName": table, "Key": ["pk": DynamoValue.s(op.pk), "sk": DynamoValue.s(op.sk)]]
        let set = "SET #k = :k, #bk = :bk, #sg = :sg, #g = :g"
        guard let stored else {
            guard case .int(let delta) = op.value else { throw fail("internal: additive partial is not an integer") }
            values[":d"] = DynamoValue.n(delta)
            values[":one"] = DynamoValue.n(Int64(1))
            var condition = "attribute_not_exists(#b)"
            if delta > 0 {
                values[":lim"] = DynamoValue.n(Int64.max - delta)
                condition += " AND (attribute_not_exists(#i) OR #i <= :lim)"
            } else if delta < 0 {
                values[":lim"] = DynamoValue.n(Int64.min - delta)
                condition += " AND (attribute_not_exists(#i) OR #i >= :lim)"
            }
            body["UpdateExpression"] = "\(set) ADD #i :d, #v :one"
            body["ConditionExpression"] = condition
            body["ExpressionAttributeNames"] = names
            body["ExpressionAttributeValues"] = values
            return body
        }
        let id = RowID(pk: op.pk, sk: op.sk)
        let new: PartialValue
        if let old = stored[id] {
            do {
                new = try op.monoid.combine(old.value, op.value)
            } catch let e as AggregationError {
                throw fail(.commitRefused, "commit refused: pipeline '\(op.pipeline)' (\(op.monoid.kind.name)): \(e); nothing of the batch was written")
            }
            values[":ver"] = DynamoValue.n(old.version)
            body["ConditionExpression"] = "#v = :ver"
        } else {
            new = op.value
            body["ConditionExpression"] = "attribute_not_exists(pk)"
        }
        values[":nv"] = DynamoValue.n((stored[id]?.version ?? 0) + 1)
        if case .int(let x) = new {
            values[":val"] = DynamoValue.n(x)
            body["UpdateExpression"] = "\(set), #i = :val, #v = :nv REMOVE #b"
        } else {
            var bytes: [UInt8] = []
            op.monoid.encode(new, into: &bytes)
            values[":val"] = DynamoValue.b(bytes)
            body["UpdateExpression"] = "\(set), #b = :val, #v = :nv REMOVE #i"
        }
        names["#v"] = "ver"
        body["ExpressionAttributeNames"] = names
        body["ExpressionAttributeValues"] = values
        return body
    }

    private func generation(of sk: String) -> Int64 {
        guard let r = sk.range(of: "#G#", options: .backwards) else { return 0 }
        return Int64(sk[r.upperBound...]) ?? 0
    }

    /// Write capacity units of a TransactWriteItems request: 2 per item and KB started, from the items' estimated
    /// sizes (attribute names and values as sent; an update counts its key and every expression value).
    static func writeUnits(_ transactItems: [[String: Any]]) -> Int {
        func valueBytes(_ v: Any) -> Int {
            guard let typed = v as? [String: Any], let (type, raw) = typed.first else { return 8 }
            switch type {
            case "S": return (raw as? String)?.utf8.count ?? 0
            case "N": return ((raw as? String)?.utf8.count ?? 0) / 2 + 2
            case "B": return ((raw as? String)?.utf8.count ?? 0) * 3 / 4
            default: return 8
            }
        }
        func attributesBytes(_ item: [String: Any]?) -> Int {
            (item ?? [:]).reduce(0) { $0 + $1.key.utf8.count + valueBytes($1.value) }
        }
        var units = 0
        for item in transactItems {
            var bytes = 0
            if let put = item["Put"] as? [String: Any] {
                bytes = attributesBytes(put["Item"] as? [String: Any])
            } else if let update = item["Update"] as? [String: Any] {
                bytes = attributesBytes(update["Key"] as? [String: Any])
                bytes += (update["ExpressionAttributeValues"] as? [String: Any] ?? [:]).values.reduce(0) { $0 + valueBytes($1) }
                bytes += (update["ExpressionAttributeNames"] as? [String: String] ?? [:]).values.reduce(0) { $0 + $1.utf8.count }
            } else {
                bytes = 1
            }
            units += 2 * max(1, (bytes + 1023) / 1024)
        }
        return units
    }

    // MARK: - Leases

    static let leasePartition = "LEASE"

    static func leaseSortKey(_ url: String) -> String {
        url.utf8.count <= 1000 ? "U#" + url : "H#" + SigV4Signer.hexSHA256(Array(url.utf8))
    }

    private static let leaseNames = ["#e": "expires", "#w": "worker"]

    public func tryLease(url: String, worker: String, seconds: Double) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        do {
            try await db.putItem(table, [
                "pk": DynamoValue.s(Self.leasePartition), "sk": DynamoValue.s(Self.leaseSortKey(url)), "url": DynamoValue.s(url),
                "worker": DynamoValue.s(worker), "expires": DynamoValue.n(now + seconds),
            ], condition: "attribute_not_exists(pk) OR #e < :now OR #w = :me", names: Self.leaseNames,
               values: [":now": DynamoValue.n(now), ":me": DynamoValue.s(worker)])
            return true
        } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {
            return false
        }
    }

    public func renewLeases(urls: [String], worker: String, seconds: Double) async throws {
        let until = Date().timeIntervalSince1970 + seconds
        for url in urls {
            do {
                _ = try await db.updateItem(table, pk: Self.leasePartition, sk: Self.leaseSortKey(url), update: "SET #e = :until",
                                            condition: "#w = :me", names: Self.leaseNames,
                                            values: [":until": DynamoValue.n(until), ":me": DynamoValue.s(worker)])
            } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {
                continue  // released, or taken over after it expired: not ours to renew
            }
        }
    }

    public func releaseLeases(urls: [String], worker: String) async throws {
        for url in urls {
            do {
                try await db.deleteItem(table, pk: Self.leasePartition, sk: Self.leaseSortKey(url), condition: "#w = :me",
                                        names: ["#w": "worker"], values: [":me": DynamoValue.s(worker)])
            } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {
                continue
            }
        }
    }

    public func activeLeases() async throws -> [ObjectLease] {
        let items = try await db.query(table, keyCondition: "pk = :p", filter: "#e >= :now", names: ["#e": "expires"],
                                       values: [":p": DynamoValue.s(Self.leasePartition), ":now": DynamoValue.n(Date().timeIntervalSince1970)])
        return items.compactMap { item -> ObjectLease? in
            guard let url = DynamoValue.string(item, "url"), let worker = DynamoValue.string(item, "worker"),
                  let expires = DynamoValue.double(item, "expires") else { return nil }
            return ObjectLease(url: url, worker: worker, expiresAt: expires)
        }.sorted { ($0.worker, $0.url) < ($1.worker, $1.url) }
    }

    public func committedPipelines(url: String, pipelines: [String]) async throws -> [String] {
        if pipelines.contains(where: { registry.id($0) == nil }) { try await loadPipelines() }
        var byKey: [String: String] = [:]
        for name in pipelines {
            guard let pid = registry.id(name) else { continue }
            byKey["LG#\(pid)"] = name
        }
        guard !byKey.isEmpty else { return [] }
        let items = try await db.batchGet(table, keys: byKey.keys.map { ($0, "G#0#U#\(url)") })
        let found = Set(items.compactMap { DynamoValue.string($0, "pk").flatMap { byKey[$0] } })
        return pipelines.filter { found.contains($0) }
    }

    // MARK: - Setting up and the write rate

    public func checkReadable() async throws {
        guard let description = try await db.describeTable(table) else {
            throw StoreError(.unavailable, "store \(url): table \(table) does not exist (a read-only command never creates it; run, replace or store init does)")
        }
        guard description.hasBackfillKeys else {
            throw StoreError(.unavailable, "store \(url): table \(table) has key schema \(description.keySchemaText), not Backfill's pk (S, HASH), sk (S, RANGE)")
        }
        let version = try await db.getItem(table, pk: "META", sk: "SCHEMA").flatMap { DynamoValue.int($0, "v") }
        try StoreRegistry.checkSchema(found: version.map(Int.init), current: Int(Self.schemaVersion), store: url)
        try await loadPipelines()
    }

    public func initialize() async throws -> StoreInitReport {
        let (created, description) = try await db.createTableIfMissing(table)
        let before = try await db.getItem(table, pk: "META", sk: "SCHEMA").flatMap { DynamoValue.int($0, "v") } ?? 0
        try await migrate()
        let after = try await db.getItem(table, pk: "META", sk: "SCHEMA").flatMap { DynamoValue.int($0, "v") } ?? 0
        let what = "table \(table)"
        return StoreInitReport(kind: "dynamodb", target: table, created: created ? [what] : [], existing: created ? [] : [what],
                               schemaVersionBefore: Int(before), schemaVersion: Int(after), details: [
                                   "key schema \(description.keySchemaText)", "billing mode \(description.billingMode)",
                                   "status \(description.status)", "endpoint \(db.endpoint)",
                               ])
    }

    private static let rateSortKey = "SETTING#max_write_units"

    public func writeRateLimit() async throws -> WriteRateSetting? {
        guard let item = try await db.getItem(table, pk: "META", sk: Self.rateSortKey) else { return nil }
        guard let rate = DynamoValue.double(item, "v") else {
            throw fail(.corrupt, "the item META / \(Self.rateSortKey) has no number v (attributes: \(item.keys.sorted().joined(separator: ", ")))")
        }
        return WriteRateSetting(unitsPerSecond: try WriteRateSetting.validate(rate, "\(url): META / \(Self.rateSortKey)"),
                                setAt: DynamoValue.double(item, "at") ?? 0)
    }

    public func setWriteRateLimit(_ unitsPerSecond: Double?) async throws {
        guard let rate = unitsPerSecond else {
            try await db.deleteItem(table, pk: "META", sk: Self.rateSortKey)
            return
        }
        try await db.putItem(table, ["pk": DynamoValue.s("META"), "sk": DynamoValue.s(Self.rateSortKey),
                                     "v": DynamoValue.n(try WriteRateSetting.validate(rate, "write rate")),
                                     "at": DynamoValue.n(Date().timeIntervalSince1970)])
    }

    // MARK: - Runs

    private static func runSortKey(_ id: Int64) -> String {
        let s = String(id)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    private func runItem(_ run: RunRecord, id: Int64) -> DynamoItem {
        var item: DynamoItem = [
            "pk": DynamoValue.s("RUN"), "sk": DynamoValue.s(Self.runSortKey(id)), "id": DynamoValue.n(id),
            "kind": DynamoValue.s(run.kind), "config": DynamoValue.s(run.configHash), "started": DynamoValue.n(run.startedAt),
            "status": DynamoValue.s(run.status), "committed": DynamoValue.n(Int64(run.objectsCommitted)),
            "skipped": DynamoValue.n(Int64(run.objectsSkipped)), "failed": DynamoValue.n(Int64(run.objectsFailed)),
            "read": DynamoValue.n(Int64(run.rowsRead)), "rejected": DynamoValue.n(Int64(run.rowsRejected)),
            "buckets": DynamoValue.n(Int64(run.bucketsWritten)),
        ]
        if let f = run.finishedAt { item["finished"] = DynamoValue.n(f) }
        if let m = run.message { item["message"] = DynamoValue.s(m) }
        return item
    }

    public func startRun(_ run: RunRecord) async throws -> Int64 {
        let id = try await nextID("RUN")
        try await db.putItem(table, runItem(run, id: id))
        return id
    }

    public func finishRun(_ run: RunRecord) async throws {
        var r = run
        if r.finishedAt == nil { r.finishedAt = Date().timeIntervalSince1970 }
        do {
            try await db.putItem(table, runItem(r, id: run.id), condition: "attribute_exists(pk)")
        } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {}
    }

    public func recordFailure(_ failure: ObjectFailure) async throws {
        try await db.putItem(table, [
            "pk": DynamoValue.s("F#\(failure.runID)"), "sk": DynamoValue.s(UUID().uuidString), "url": DynamoValue.s(failure.url),
            "error": DynamoValue.s(failure.error), "at": DynamoValue.n(failure.at),
        ])
    }

    public func runs(limit: Int) async throws -> [RunRecord] {
        guard limit > 0 else { return [] }
        let items = try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("RUN")], forward: false, limit: limit)
        return items.map { item in
            RunRecord(id: DynamoValue.int(item, "id") ?? 0, kind: DynamoValue.string(item, "kind") ?? "",
                      configHash: DynamoValue.string(item, "config") ?? "", startedAt: DynamoValue.double(item, "started") ?? 0,
                      finishedAt: DynamoValue.double(item, "finished"), status: DynamoValue.string(item, "status") ?? "",
                      objectsCommitted: Int(DynamoValue.int(item, "committed") ?? 0), objectsSkipped: Int(DynamoValue.int(item, "skipped") ?? 0),
                      objectsFailed: Int(DynamoValue.int(item, "failed") ?? 0), rowsRead: Int(DynamoValue.int(item, "read") ?? 0),
                      rowsRejected: Int(DynamoValue.int(item, "rejected") ?? 0), bucketsWritten: Int(DynamoValue.int(item, "buckets") ?? 0),
                      message: DynamoValue.string(item, "message"))
        }
    }

    public func failures(runID: Int64) async throws -> [ObjectFailure] {
        let items = try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("F#\(runID)")])
        return items.map { item in
            ObjectFailure(runID: runID, url: DynamoValue.string(item, "url") ?? "", error: DynamoValue.string(item, "error") ?? "",
                          at: DynamoValue.double(item, "at") ?? 0)
        }.sorted { $0.at < $1.at }
    }

    // MARK: - Query

    public func monoid(ofPipeline name: String) async throws -> Monoid {
        try await registry.pipeline(name, loading: storedPipelines).monoid
    }

    /// One partition (pipeline and window; `begins_with` for a key), its items filtered by the lineage in Swift.
    public func readPartialRows(_ selection: AggregateSelection, into rows: inout AggregateCombiner) async throws {
        let pid = try await pipelineID(selection.pipeline)
        var keyCondition = "pk = :p"
        var values: [String: Any] = [":p": DynamoValue.s(Self.partitionKey(pipeline: pid, window: selection.window))]
        if let key = selection.key {
            keyCondition += " AND begins_with(sk, :kp)"
            values[":kp"] = DynamoValue.s(Self.keyPart(key) + "#B#")
        }
        var filters: [String] = []
        var names: [String: String] = [:]
        if let from = selection.from { filters.append("#bk >= :from"); values[":from"] = DynamoValue.n(from); names["#bk"] = "bk" }
        if let to = selection.to { filters.append("#bk < :to"); values[":to"] = DynamoValue.n(to); names["#bk"] = "bk" }
        if let segments = selection.segments {
            filters.append("#sg >= :sf AND #sg < :st")
            values[":sf"] = DynamoValue.n(segments.lowerBound)
            values[":st"] = DynamoValue.n(segments.upperBound)
            names["#sg"] = "sg"
        }
        let items = try await db.query(table, keyCondition: keyCondition, filter: filters.isEmpty ? nil : filters.joined(separator: " AND "),
                                       names: names, values: values)
        let lineage = try await activeLineage(pipelineID: pid)
        for item in items {
            guard let k = DynamoValue.string(item, "k"), let bucket = DynamoValue.int(item, "bk"), let segment = DynamoValue.int(item, "sg") else { continue }
            guard selection.reads(generation: DynamoValue.int(item, "g") ?? 0, active: lineage.active(segment)) else { continue }
            try rows.add(key: k, bucket: bucket, try value(item, rows.monoid))
        }
    }

    // MARK: - Generations used

    static let generationsSortKey = "GENERATIONS"

    /// The update adding `generation` to the set of generations used (for a transaction, or alone).
    func generationSetUpdate(_ generation: Int64) -> [String: Any] {
        ["TableName": table, "Key": ["pk": DynamoValue.s("META"), "sk": DynamoValue.s(Self.generationsSortKey)],
         "UpdateExpression": "ADD #gens :g", "ExpressionAttributeNames": ["#gens": "gens"],
         "ExpressionAttributeValues": [":g": ["NS": [String(generation)]]]] as [String: Any]
    }

    /// Adds `generation` to the set before anything of it is written (once per store): the set only ever holds at
    /// least every generation used, so `ReplacementRules.nextGeneration` over it is above all of them.
    private func recordGeneration(_ generation: Int64) async throws {
        guard !lock.withLock({ recordedGenerations.contains(generation) }) else { return }
        var body = generationSetUpdate(generation)
        body["ReturnValues"] = "NONE"
        _ = try await db.call("UpdateItem", body)
        _ = lock.withLock { recordedGenerations.insert(generation) }
    }

    /// The largest generation in the set of generations used (nil when none).
    func maxRecordedGeneration() async throws -> Int64? {
        let item = try await db.getItem(table, pk: "META", sk: Self.generationsSortKey)
        let texts = (item?["gens"] as? [String: Any])?["NS"] as? [String] ?? []
        return texts.compactMap { Int64($0) }.max()
    }

}
