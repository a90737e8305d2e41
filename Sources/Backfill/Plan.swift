import Datasets
import Foundation
import StateStores

/// One source object and what the ledger says about it.
public struct PlannedObject: Sendable {
    public enum State: String, Sendable { case pending, done, conflict }
    public var file: DatasetFile
    public var version: String
    public var state: State
    /// Pipelines that still need this object.
    public var pipelines: [String]
    /// For a conflict: the version committed earlier.
    public var committedVersion: String?
}

/// What a run would read: partitions, objects, bytes, and how many are already committed.
public struct RunPlan: Sendable {
    public var objects: [PlannedObject]
    public var partitions: Int { Set(objects.map { $0.file.partitions.map { "\($0.key)=\($0.value)" }.joined(separator: "/") }).count }
    public var bytes: Int64 { objects.reduce(0) { $0 + $1.file.size } }
    public var pending: [PlannedObject] { objects.filter { $0.state == .pending } }
    public var done: Int { objects.filter { $0.state == .done }.count }
    public var conflicts: [PlannedObject] { objects.filter { $0.state == .conflict } }
    /// Objects left out because their partition path puts them outside a replace's (or verify's) range.
    public var pruned = 0
    /// Committed objects missing from a directory that has uncommitted objects now (a rewritten partition).
    public var rewritten: [String] = []

    static func directory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Discovers the source objects and compares them with the ledger.
    public static func make(config: JobConfig, store: any StateStore, sources: SourceResolver, mode: RunMode = .run) async throws -> RunPlan {
        let files = try await sources.discover(config.source.url, suffixes: config.source.fileFormat.suffixes, filter: config.source.filter)
        let names = config.pipelines.map(\.name)
        let ledger: [String: [LedgerEntry]]
        switch mode {
        case .run: ledger = try await store.ledger(pipelines: names)
        case .replace, .live: ledger = try await store.ledger(pipelines: names, generation: mode.generation)
        case .verify: ledger = [:]
        }
        var objects: [PlannedObject] = []
        var pruned = 0
        for file in files {
            if let range = mode.segmentRange, !TimePruning.pathMayOverlap(file.partitions, from: range.from, to: range.to) {
                pruned += 1
                continue
            }
            let version = Self.version(of: file)
            let entries = ledger[file.path] ?? []
            var needed: [String] = []
            var conflict: String?
            for name in names {
                if let e = entries.first(where: { $0.pipeline == name }) {
                    if e.version != version { conflict = e.version }
                } else {
                    needed.append(name)
                }
            }
            let state: PlannedObject.State = conflict != nil ? .conflict : (needed.isEmpty ? .done : .pending)
            objects.append(PlannedObject(file: file, version: version, state: state, pipelines: needed, committedVersion: conflict))
        }
        var plan = RunPlan(objects: objects)
        plan.pruned = pruned
        if case .run = mode {
            // Committed objects that are gone from a directory that now holds uncommitted ones: the partition was
            // rewritten (Spark's overwrite writes new part-file names). Folding the new files would count the
            // directory twice; that is a correction, for `replace`.
            let present = Set(files.map(\.path))
            let pendingDirectories = Set(plan.pending.map { Self.directory($0.file.path) })
            for url in ledger.keys.sorted() where !present.contains(url) && pendingDirectories.contains(Self.directory(url)) {
                plan.rewritten.append(url)
            }
        }
        return plan
    }

    /// A file's version: the ETag of an S3 object, or the size and modification time of a local file.
    public static func version(of file: DatasetFile) -> String {
        if let etag = file.etag { return "etag=\(etag),size=\(file.size)" }
        return "size=\(file.size),mtime=\(String(format: "%.6f", file.modificationTime))"
    }
}
