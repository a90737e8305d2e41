import Aggregation
import Foundation

// Lineage on DynamoDB.
//
// The replacement item is the switch. A (pipeline, segment)'s active generation is not stored per segment: it is
// the generation of the latest COMPLETED replacement covering it (else 0), found through one candidate item per
// (pipeline, replacement) — `L#<pipeline id>` / `R#<generation>` with the replacement's id and segment range — and
// the state on the replacement item. Completing writes the candidate items (harmless while the replacement is in
// progress: readers ignore candidates whose replacement is not completed), then flips the replacement item's state
// in progress → completed with ONE conditional write; reverting flips completed → reverted. However many pipelines
// and segments a replacement covers, every segment switches at that single write, so readers never see a mix: a
// reader reads a pipeline's candidates first, then the states of their replacements (consistent reads), and every
// segment of a candidate resolves through the same state. "Latest" is the highest generation: overlapping
// replacements are never in progress together, so among those covering one segment, generation order is completion
// order, and reverting the latest one uncovers exactly its `previous` generations.
//
// Race-free changes: begin, complete, fail, revert and gc's `collected` marks are TransactWriteItems that also bump
// the lineage version item (`META` / `LINEAGE`, attribute `v`) on the condition that it still holds the value read
// before deciding; a concurrent change of any replacement makes the loser re-read and decide again (so two begins
// of overlapping ranges cannot both start, and `previous` is read from the lineage it replaces).
//
// Deleting a failed or collected generation's partials (many items) is not atomic and comes after the state change
// that makes them unreachable; partials are found by reading the pipeline's partitions (there is no index by
// generation), which is what gc costs.
extension DynamoDBStateStore {
    static let maxLineageAttempts = 50

    private func lineageError(_ message: String) -> StoreError { fail(.lineage, message) }

    private static func paddedID(_ id: Int64) -> String {
        let s = String(id)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    // MARK: - Replacement items

    /// `previous` as runs of consecutive segments with one generation, JSON (a replacement item stays small).
    private struct PreviousRun: Codable {
        var p: String
        var f: Int64
        var t: Int64
        var g: Int64
    }

    private static func encodePrevious(_ previous: [SegmentGeneration], millis: Int64) throws -> String {
        var runs: [PreviousRun] = []
        for e in previous {
            if var last = runs.last, last.p == e.pipeline, last.g == e.generation, last.t == e.segment {
                last.t = e.segment + millis
                runs[runs.count - 1] = last
            } else {
                runs.append(PreviousRun(p: e.pipeline, f: e.segment, t: e.segment + millis, g: e.generation))
            }
        }
        return String(decoding: try JSONEncoder().encode(runs), as: UTF8.self)
    }

    private static func decodePrevious(_ text: String, millis: Int64) throws -> [SegmentGeneration] {
        let runs = try JSONDecoder().decode([PreviousRun].self, from: Data(text.utf8))
        var out: [SegmentGeneration] = []
        for r in runs {
            var s = r.f
            while s < r.t {
                out.append(SegmentGeneration(pipeline: r.p, segment: s, generation: r.g))
                s += max(1, millis)
            }
        }
        return out
    }

    private func replacementItem(_ r: Replacement) throws -> DynamoItem {
        var item: DynamoItem = [
            "pk": DynamoValue.s("REPL"), "sk": DynamoValue.s(Self.paddedID(r.id)), "id": DynamoValue.n(r.id),
            "pl": ["L": r.pipelines.map { DynamoValue.s($0) }], "from": DynamoValue.n(r.from), "to": DynamoValue.n(r.to),
            "sf": DynamoValue.n(r.segmentFrom), "st": DynamoValue.n(r.segmentTo), "sm": DynamoValue.n(r.segmentMillis),
            "g": DynamoValue.n(r.generation), "state": DynamoValue.s(r.state.rawValue), "config": DynamoValue.s(r.configHash),
            "worker": DynamoValue.s(r.worker), "started": DynamoValue.n(r.startedAt), "hb": DynamoValue.n(r.heartbeatAt),
            "objects": DynamoValue.n(Int64(r.objects)), "rows": DynamoValue.n(Int64(r.rowsRead)),
            "prev": DynamoValue.s(try Self.encodePrevious(r.previous, millis: r.segmentMillis)), "collected": ["BOOL": r.collected],
        ]
        if let f = r.finishedAt { item["finished"] = DynamoValue.n(f) }
        if let v = r.revertedAt { item["reverted"] = DynamoValue.n(v) }
        if let m = r.message { item["message"] = DynamoValue.s(m) }
        return item
    }

    private func decodeReplacement(_ item: DynamoItem) throws -> Replacement {
        guard let id = DynamoValue.int(item, "id"), let stateText = DynamoValue.string(item, "state"),
              let state = ReplacementState(rawValue: stateText) else {
            throw fail(.corrupt, "unreadable replacement item \(DynamoValue.string(item, "sk") ?? "?")")
        }
        let pipelines = ((item["pl"] as? [String: Any])?["L"] as? [[String: Any]] ?? []).compactMap { $0["S"] as? String }
        let millis = DynamoValue.int(item, "sm") ?? 1
        return Replacement(
            id: id, pipelines: pipelines, from: DynamoValue.int(item, "from") ?? 0, to: DynamoValue.int(item, "to") ?? 0,
            segmentFrom: DynamoValue.int(item, "sf") ?? 0, segmentTo: DynamoValue.int(item, "st") ?? 0, segmentMillis: millis,
            generation: DynamoValue.int(item, "g") ?? 0, state: state, configHash: DynamoValue.string(item, "config") ?? "",
            worker: DynamoValue.string(item, "worker") ?? "", startedAt: DynamoValue.double(item, "started") ?? 0,
            heartbeatAt: DynamoValue.double(item, "hb"), finishedAt: DynamoValue.double(item, "finished"),
            revertedAt: DynamoValue.double(item, "reverted"), objects: Int(DynamoValue.int(item, "objects") ?? 0),
            rowsRead: Int(DynamoValue.int(item, "rows") ?? 0),
            previous: try Self.decodePrevious(DynamoValue.string(item, "prev") ?? "[]", millis: millis),
            collected: ((item["collected"] as? [String: Any])?["BOOL"] as? Bool) ?? false, message: DynamoValue.string(item, "message"))
    }

    private func loadReplacements() async throws -> [Replacement] {
        try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("REPL")], forward: false).map(decodeReplacement)
    }

    private func loadReplacement(_ id: Int64) async throws -> Replacement {
        guard let item = try await db.getItem(table, pk: "REPL", sk: Self.paddedID(id)) else { throw ReplacementRules.unknown(id, in: url) }
        return try decodeReplacement(item)
    }

    // MARK: - Lineage version and transactions

    private func lineageVersion() async throws -> Int64 {
        try await db.getItem(table, pk: "META", sk: "LINEAGE").flatMap { DynamoValue.int($0, "v") } ?? 0
    }

    /// Applies `items` (at most 99) together with the bump of the lineage version from `version`. False when the
    /// version or a condition of `items` no longer holds (someone changed lineage meanwhile): read and decide again.
    private func transactLineage(version: Int64, _ items: [[String: Any]]) async throws -> Bool {
        let bump: [String: Any] = ["Update": [
            "TableName": table, "Key": ["pk": DynamoValue.s("META"), "sk": DynamoValue.s("LINEAGE")],
            "UpdateExpression": "SET #v = :new", "ConditionExpression": "attribute_not_exists(pk) OR #v = :old",
            "ExpressionAttributeNames": ["#v": "v"], "ExpressionAttributeValues": [":new": DynamoValue.n(version + 1), ":old": DynamoValue.n(version)],
        ] as [String: Any]]
        do {
            try await db.transactWrite([bump] + items)
            return true
        } catch let e as DynamoDBError where e.code == "TransactionCanceledException" {
            if e.cancellationReasons.contains("TransactionConflict") {
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0.01...0.05) * 1e9))
            }
            return false
        }
    }

    private func update(_ r: Replacement, set: [String: [String: Any]], remove: [String] = [], condition: String,
                        values: [String: [String: Any]] = [:]) -> [String: Any] {
        var names: [String: String] = [:]
        var vals: [String: Any] = [:]
        var parts: [String] = []
        for (i, (name, value)) in set.sorted(by: { $0.key < $1.key }).enumerated() {
            names["#a\(i)"] = name
            vals[":a\(i)"] = value
            parts.append("#a\(i) = :a\(i)")
        }
        var expression = "SET " + parts.joined(separator: ", ")
        if !remove.isEmpty {
            for (i, name) in remove.enumerated() { names["#r\(i)"] = name }
            expression += " REMOVE " + remove.indices.map { "#r\($0)" }.joined(separator: ", ")
        }
        for name in ["state", "hb", "collected"] where condition.contains("#\(name)") { names["#\(name)"] = name }
        for (k, v) in values { vals[k] = v }
        return ["Update": [
            "TableName": table, "Key": ["pk": DynamoValue.s("REPL"), "sk": DynamoValue.s(Self.paddedID(r.id))],
            "UpdateExpression": expression, "ConditionExpression": condition,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": vals,
        ] as [String: Any]]
    }

    // MARK: - Active generations

    /// A pipeline's lineage: the completed replacements covering its segments, latest first.
    struct SegmentLineage: Sendable {
        struct Cover: Sendable {
            var generation: Int64
            var from: Int64
            var to: Int64
        }
        var completed: [Cover] = []

        /// The active generation of `segment` (0 when no completed replacement covers it).
        func active(_ segment: Int64) -> Int64 {
            for c in completed where c.from <= segment && segment < c.to { return c.generation }
            return 0
        }
    }

    /// Reads the pipeline's candidate items, then the states of their replacements.
    func activeLineage(pipelineID pid: Int64) async throws -> SegmentLineage {
        let candidates = try await db.query(table, keyCondition: "pk = :p AND begins_with(sk, :r)",
                                            values: [":p": DynamoValue.s("L#\(pid)"), ":r": DynamoValue.s("R#")])
        guard !candidates.isEmpty else { return SegmentLineage() }
        let ids = Set(candidates.compactMap { DynamoValue.int($0, "rid") })
        var completed = Set<Int64>()
        for item in try await db.batchGet(table, keys: ids.map { ("REPL", Self.paddedID($0)) }) where DynamoValue.string(item, "state") == ReplacementState.completed.rawValue {
            if let id = DynamoValue.int(item, "id") { completed.insert(id) }
        }
        var lineage = SegmentLineage()
        for c in candidates {
            guard let rid = DynamoValue.int(c, "rid"), completed.contains(rid), let g = DynamoValue.int(c, "g"),
                  let from = DynamoValue.int(c, "sf"), let to = DynamoValue.int(c, "st") else { continue }
            lineage.completed.append(.init(generation: g, from: from, to: to))
        }
        lineage.completed.sort { $0.generation > $1.generation }
        return lineage
    }

    // MARK: - Replacements

    public func beginReplacement(_ proposed: Replacement, staleAfter: Double) async throws -> ReplacementStart {
        for name in proposed.pipelines { _ = try await pipelineID(name) }
        var freshID: Int64?
        for _ in 0..<Self.maxLineageAttempts {
            let version = try await lineageVersion()
            let now = Date().timeIntervalSince1970
            let all = try await loadReplacements()
            let plan = try ReplacementRules.begin(proposed, inProgress: all.filter { $0.state == .inProgress }, now: now, staleAfter: staleAfter)
            let heartbeatIs: (Replacement) -> [String: [String: Any]] = { [":inprogress": DynamoValue.s(ReplacementState.inProgress.rawValue), ":oldhb": DynamoValue.n($0.heartbeatAt)] }
            if let stale = plan.abandon.first {
                // Abandoned other work: failed on its own (then decide again).
                let item = update(stale, set: ["state": DynamoValue.s(ReplacementState.failed.rawValue), "finished": DynamoValue.n(now),
                                               "message": DynamoValue.s(ReplacementRules.abandonedMessage(stale, by: proposed, at: now))],
                                  condition: "#state = :inprogress AND #hb = :oldhb", values: heartbeatIs(stale))
                if try await transactLineage(version: version, [item]) { try await deleteGeneration(stale) }
                continue
            }
            if let taken = plan.resume {
                let stored = all.first { $0.id == taken.id }!
                let item = update(taken, set: ["worker": DynamoValue.s(taken.worker), "hb": DynamoValue.n(taken.heartbeatAt)],
                                  condition: "#state = :inprogress AND #hb = :oldhb", values: heartbeatIs(stored))
                if try await transactLineage(version: version, [item]) { return .resumed(taken) }
                continue
            }
            if freshID == nil { freshID = try await nextID("REPLACEMENT") }
            let maxUsed = [all.map(\.generation).max(), try await maxRecordedGeneration()].compactMap { $0 }.max()
            let r = ReplacementRules.started(proposed, id: freshID!, generation: ReplacementRules.nextGeneration(maxUsed: maxUsed), now: now)
            let put: [String: Any] = ["Put": ["TableName": table, "Item": try replacementItem(r), "ConditionExpression": "attribute_not_exists(pk)"] as [String: Any]]
            if try await transactLineage(version: version, [put, ["Update": generationSetUpdate(r.generation)]]) { return .started(r) }
        }
        throw lineageError("begin a replacement: gave up after \(Self.maxLineageAttempts) concurrent lineage changes")
    }

    public func heartbeatReplacement(id: Int64, worker: String) async throws {
        do {
            _ = try await db.updateItem(table, pk: "REPL", sk: Self.paddedID(id), update: "SET #hb = :now",
                                        condition: "#state = :inprogress AND #worker = :w",
                                        names: ["#hb": "hb", "#state": "state", "#worker": "worker"],
                                        values: [":now": DynamoValue.n(Date().timeIntervalSince1970), ":w": DynamoValue.s(worker),
                                                 ":inprogress": DynamoValue.s(ReplacementState.inProgress.rawValue)])
        } catch let e as DynamoDBError where e.code == "ConditionalCheckFailedException" {
            throw ReplacementRules.heartbeatRefused(try await loadReplacement(id), worker: worker)
        }
    }

    public func completeReplacement(id: Int64, objects: Int, rowsRead: Int) async throws -> Replacement {
        var candidatesWritten = false
        for _ in 0..<Self.maxLineageAttempts {
            let version = try await lineageVersion()
            let r = try await loadReplacement(id)
            try ReplacementRules.checkInProgress(r, to: "completed")
            var pids: [Int64] = []
            for name in r.pipelines { pids.append(try await pipelineID(name)) }
            if !candidatesWritten {
                // Ignored by readers until the replacement item says completed.
                for pid in pids {
                    try await db.putItem(table, [
                        "pk": DynamoValue.s("L#\(pid)"), "sk": DynamoValue.s("R#\(Self.paddedID(r.generation))"), "rid": DynamoValue.n(r.id),
                        "g": DynamoValue.n(r.generation), "sf": DynamoValue.n(r.segmentFrom), "st": DynamoValue.n(r.segmentTo),
                        "sm": DynamoValue.n(r.segmentMillis),
                    ])
                }
                candidatesWritten = true
            }
            var active: [String: [Int64: Int64]] = [:]
            for (name, pid) in zip(r.pipelines, pids) {
                let lineage = try await activeLineage(pipelineID: pid)
                for s in r.segments { active[name, default: [:]][s] = lineage.active(s) }
            }
            let done = ReplacementRules.completed(r, active: active, objects: objects, rowsRead: rowsRead, now: Date().timeIntervalSince1970)
            let item = update(r, set: [
                "state": DynamoValue.s(ReplacementState.completed.rawValue), "finished": DynamoValue.n(done.finishedAt!),
                "objects": DynamoValue.n(Int64(objects)), "rows": DynamoValue.n(Int64(rowsRead)),
                "prev": DynamoValue.s(try Self.encodePrevious(done.previous, millis: r.segmentMillis)),
            ], condition: "#state = :inprogress", values: [":inprogress": DynamoValue.s(ReplacementState.inProgress.rawValue)])
            if try await transactLineage(version: version, [item]) { return done }
        }
        throw lineageError("complete replacement \(id): gave up after \(Self.maxLineageAttempts) concurrent lineage changes")
    }

    public func failReplacement(id: Int64, message: String) async throws {
        for _ in 0..<Self.maxLineageAttempts {
            let version = try await lineageVersion()
            let r = try await loadReplacement(id)
            try ReplacementRules.checkInProgress(r, to: "failed")
            let item = update(r, set: ["state": DynamoValue.s(ReplacementState.failed.rawValue), "finished": DynamoValue.n(Date().timeIntervalSince1970),
                                       "message": DynamoValue.s(message)],
                              condition: "#state = :inprogress", values: [":inprogress": DynamoValue.s(ReplacementState.inProgress.rawValue)])
            if try await transactLineage(version: version, [item]) {
                try await deleteGeneration(r)
                return
            }
        }
        throw lineageError("fail replacement \(id): gave up after \(Self.maxLineageAttempts) concurrent lineage changes")
    }

    public func revertReplacement(id: Int64) async throws -> Replacement {
        for _ in 0..<Self.maxLineageAttempts {
            let version = try await lineageVersion()
            let all = try await loadReplacements()
            guard let r = all.first(where: { $0.id == id }) else { throw ReplacementRules.unknown(id, in: url) }
            try ReplacementRules.checkRevertible(r, among: all)
            let done = ReplacementRules.reverted(r, now: Date().timeIntervalSince1970)
            let item = update(r, set: ["state": DynamoValue.s(ReplacementState.reverted.rawValue), "reverted": DynamoValue.n(done.revertedAt!)],
                              condition: "#state = :completed AND #collected = :no",
                              values: [":completed": DynamoValue.s(ReplacementState.completed.rawValue), ":no": ["BOOL": false]])
            if try await transactLineage(version: version, [item]) { return done }
        }
        throw lineageError("revert replacement \(id): gave up after \(Self.maxLineageAttempts) concurrent lineage changes")
    }

    public func replacements() async throws -> [Replacement] {
        try await loadReplacements()
    }

    // MARK: - Boundaries

    /// Keyed by pipeline name: a boundary may be set before the pipeline's first run registers it.
    public func setBoundary(pipeline: String, at: Int64?) async throws {
        if let at {
            try await db.putItem(table, ["pk": DynamoValue.s("BOUND"), "sk": DynamoValue.s(pipeline), "at": DynamoValue.n(at)])
        } else {
            _ = try await db.call("DeleteItem", ["TableName": table, "Key": ["pk": DynamoValue.s("BOUND"), "sk": DynamoValue.s(pipeline)]])
        }
    }

    public func boundaries() async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for item in try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("BOUND")]) {
            if let name = DynamoValue.string(item, "sk"), let at = DynamoValue.int(item, "at") { out[name] = at }
        }
        return out
    }

    // MARK: - Reads

    public func ledger(pipelines: [String], generation: Int64) async throws -> [String: [LedgerEntry]] {
        var result: [String: [LedgerEntry]] = [:]
        for name in pipelines {
            guard let pid = try? await pipelineID(name) else { continue }
            for (url, entry) in try await ledgerEntries(pipeline: name, pid: pid, generation: generation) {
                result[url, default: []].append(entry)
            }
        }
        return result
    }

    /// One pipeline's ledger entries of one generation, by URL.
    func ledgerEntries(pipeline: String, pid: Int64, generation: Int64) async throws -> [(String, LedgerEntry)] {
        let items = try await db.query(table, keyCondition: "pk = :p AND begins_with(sk, :g)",
                                       values: [":p": DynamoValue.s("LG#\(pid)"), ":g": DynamoValue.s("G#\(generation)#U#")])
        return items.compactMap { item in
            guard let url = DynamoValue.string(item, "url") else { return nil }
            return (url, LedgerEntry(pipeline: pipeline, url: url, version: DynamoValue.string(item, "version") ?? "",
                                     runID: DynamoValue.int(item, "run") ?? 0, rows: Int(DynamoValue.int(item, "rows") ?? 0),
                                     rejected: Int(DynamoValue.int(item, "rejected") ?? 0), committedAt: DynamoValue.double(item, "at") ?? 0))
        }
    }

    // MARK: - Deleting generations

    /// Deletes a (failed) replacement's partials and ledger items.
    private func deleteGeneration(_ r: Replacement) async throws {
        guard r.generation > 0 else { return }
        var keys: [(pk: String, sk: String)] = []
        for name in r.pipelines {
            guard let pid = try? await pipelineID(name) else { continue }
            for w in WindowKind.allCases {
                let items = try await db.query(table, keyCondition: "pk = :p", filter: "#g = :g", names: ["#g": "g"],
                                               values: [":p": DynamoValue.s(Self.partitionKey(pipeline: pid, window: w)), ":g": DynamoValue.n(r.generation)])
                keys += items.compactMap { item in DynamoValue.string(item, "sk").map { (Self.partitionKey(pipeline: pid, window: w), $0) } }
            }
            let ledger = try await db.query(table, keyCondition: "pk = :p AND begins_with(sk, :g)",
                                            values: [":p": DynamoValue.s("LG#\(pid)"), ":g": DynamoValue.s("G#\(r.generation)#U#")])
            keys += ledger.compactMap { item in DynamoValue.string(item, "sk").map { ("LG#\(pid)", $0) } }
        }
        try await batchDelete(keys)
    }

    /// BatchWriteItem deletes, 25 a call, re-sending unprocessed ones.
    private func batchDelete(_ keys: [(pk: String, sk: String)]) async throws {
        var index = 0
        while index < keys.count {
            let slice = keys[index..<min(keys.count, index + 25)]
            index += slice.count
            var request: [String: Any] = [table: slice.map { ["DeleteRequest": ["Key": ["pk": DynamoValue.s($0.pk), "sk": DynamoValue.s($0.sk)]]] }]
            var rounds = 0
            while true {
                rounds += 1
                let r = try await db.call("BatchWriteItem", ["RequestItems": request])
                guard let unprocessed = r["UnprocessedItems"] as? [String: Any], !unprocessed.isEmpty else { break }
                guard rounds < 20 else { throw fail("BatchWriteItem: items left unprocessed after \(rounds) attempts") }
                request = unprocessed
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0.05...0.2) * Double(rounds) * 1e9))
            }
        }
    }

    // MARK: - Garbage collection

    public func collectGarbage(before: Double) async throws -> GarbageCollected {
        for _ in 0..<Self.maxLineageAttempts {
            let version = try await lineageVersion()
            let all = try await loadReplacements()
            let rules = GarbageRules(replacements: all, before: before)
            var partialKeys: [(pk: String, sk: String)] = []
            var ledgerItems: [(key: (pk: String, sk: String), generation: Int64)] = []
            var counts: [SegmentGeneration: Int] = [:]
            var activeGenerations = Set<Int64>()
            for p in try await pipelines() {
                let pid = try await pipelineID(p.name)
                let lineage = try await activeLineage(pipelineID: pid)
                for r in all where r.state == .completed && r.pipelines.contains(p.name) && r.segments.contains(where: { lineage.active($0) == r.generation }) {
                    activeGenerations.insert(r.generation)
                }
                for w in WindowKind.allCases {
                    let pk = Self.partitionKey(pipeline: pid, window: w)
                    for item in try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s(pk)]) {
                        guard let sk = DynamoValue.string(item, "sk"), let segment = DynamoValue.int(item, "sg") else { continue }
                        let stored = SegmentGeneration(pipeline: p.name, segment: segment, generation: DynamoValue.int(item, "g") ?? 0)
                        guard rules.drops(stored, active: lineage.active(segment)) else { continue }
                        counts[stored, default: 0] += 1
                        partialKeys.append((pk, sk))
                    }
                }
                for item in try await db.query(table, keyCondition: "pk = :p", values: [":p": DynamoValue.s("LG#\(pid)")]) {
                    guard let sk = DynamoValue.string(item, "sk"), sk.hasPrefix("G#") else { continue }
                    ledgerItems.append((("LG#\(pid)", sk), Int64(sk.dropFirst(2).prefix { $0 != "#" }) ?? 0))
                }
            }
            let keptLedger = rules.keptLedgerGenerations(active: activeGenerations)
            let ledgerKeys = ledgerItems.filter { $0.generation > 0 && !keptLedger.contains($0.generation) }.map(\.key)
            // Mark first what can no longer be reverted, under the lineage version: a concurrent revert either
            // happened before (then we decide again) or sees `collected`.
            let collected = rules.collected(dropped: Set(counts.keys))
            var marked = true
            var v = version
            var start = 0
            while start < collected.count {
                let chunk = collected[start..<min(collected.count, start + 98)]
                start += chunk.count
                let items = chunk.map { update($0, set: ["collected": ["BOOL": true]], condition: "attribute_exists(pk)") }
                if try await transactLineage(version: v, items) {
                    v += 1
                } else {
                    marked = false
                    break
                }
            }
            guard marked else { continue }
            try await batchDelete(partialKeys)
            try await batchDelete(ledgerKeys)
            return GarbageRules.report(dropped: counts.keys, partialRows: partialKeys.count, ledgerRows: ledgerKeys.count)
        }
        throw lineageError("gc: gave up after \(Self.maxLineageAttempts) concurrent lineage changes")
    }
}
