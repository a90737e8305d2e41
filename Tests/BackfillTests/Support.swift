import Aggregation
import Foundation
import StateStores
import TestSupport
import Testing
@testable import Backfill

enum Paths {
    static let repoRoot = BackfillCLI.repoRoot
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let pageViews = shared.appendingPathComponent("datasets/page_views")

    /// A fresh temporary directory.
    static func temp(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

}

/// Writes a config and runs it.
@discardableResult
func runJob(_ yaml: String, dir: String, concurrency: Int = 2, commitEntries: Int = 4_000_000) async throws -> RunSummary {
    let path = dir + "/job.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let config = try JobConfig.load(path: path)
    let store = try StoreURL.open(config.store)
    let runner = try Runner(config: config, store: store, options: RunOptions(concurrency: concurrency, commitEntries: commitEntries))
    return try await runner.run()
}

/// Query rows as canonical JSON objects ({"key", "bucket", "value"}), in store order.
func queryLines(store: String, pipeline: String, window: WindowKind) async throws -> [String] {
    let s = try StoreURL.open(store)
    try await s.migrate()
    let defs = try await s.pipelines()
    guard let d = defs.first(where: { $0.name == pipeline }) else { return [] }
    let cal = try BucketCalendar(timeZone: d.timeZone)
    return try await s.query(pipeline: pipeline, window: window, key: nil, from: nil, to: nil).map {
        var line = "{\"key\": "
        jsonString($0.key, &line)
        line += ", \"bucket\": "
        jsonString(cal.label(window, start: $0.bucket), &line)
        return line + ", \"value\": \(d.monoid.renderJSON($0.value))}"
    }
}

/// Parses {"key": ..., "bucket": ..., "value": ...} lines into comparable triples.
func triples(_ lines: [String]) -> [String] {
    lines.compactMap { line in
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return "\(obj["key"] ?? "")|\(obj["bucket"] ?? "")|\(obj["value"] ?? "")"
    }
}

func expectedLines(_ window: String) throws -> [String] {
    try String(contentsOf: Paths.pageViews.appendingPathComponent("expected/\(window).jsonl"), encoding: .utf8)
        .split(separator: "\n").map(String.init)
}

/// Writes gzip-free JSON Lines into a Hive-style tree.
func writeJSONL(_ dir: String, _ relative: String, _ lines: [String]) throws {
    let path = dir + "/" + relative
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}
