import Aggregation
import Datasets
import Foundation
import Yams

/// A configuration error: names the file, the line and the field.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The job a config file describes: where to read, how to fold, where to commit.
public struct JobConfig: Sendable {
    public enum SourceFormat: String, Sendable { case parquet, jsonl }
    public enum ErrorPolicy: String, Sendable { case fail, skip }
    /// What integers in the event-time column count (seconds, ms, µs or ns since the epoch).
    public typealias EpochUnit = Datasets.EpochUnit

    public struct Source: Sendable {
        public var url: String
        public var format: SourceFormat
        public var partitions: String?
        public var filter: PartitionFilter?
        /// The format's reader, from `FileFormats` by the format's name.
        public var fileFormat: any FileFormat
    }

    public struct EventTime: Sendable {
        public var column: String
        public var unit: EpochUnit
    }

    public struct Pipeline: Sendable {
        public var name: String
        /// Key templates; more than one fans a row out to several keys.
        public var keys: [KeyTemplate]
        public var keyTexts: [String]
        /// The value column; nil means 1 per row.
        public var value: String?
        public var monoid: MonoidKind
        public var windows: [WindowKind]
        /// Buckets that ended longer ago than this (before the run's start) are not written.
        public var retentionMillis: Int64?
        public var timeZone: String
        /// Line of the pipeline in the config, for errors.
        public var line: Int
    }

    public struct Errors: Sendable {
        public var policy: ErrorPolicy
        public var deadLetter: String?
    }

    public var path: String
    public var source: Source
    public var eventTime: EventTime
    public var store: String
    public var segmentMillis: Int64
    public var pipelines: [Pipeline]
    public var errors: Errors
    /// Hex SHA-like digest of the config text (FNV-1a 64), recorded with every run.
    public var configHash: String
    /// Line numbers of fields by path ("event_time.column"), for errors found later (unknown column).
    public var lines: [String: Int]

    public func line(_ field: String) -> String {
        lines[field].map { "\(path):\($0)" } ?? path
    }

    /// Loads and validates a config file.
    public static func load(path: String) throws -> JobConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("\(path): cannot read the config file")
        }
        return try parse(text, path: path)
    }

    /// Parses YAML text (`path` is used in messages and to resolve relative paths).
    public static func parse(_ text: String, path: String) throws -> JobConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError("\(path): invalid YAML: \(error)")
        }
        guard let root = node, let top = root.mapping else {
            throw ConfigError("\(path): the config must be a YAML mapping (source, event_time, store, pipelines)")
        }
        var reader = NodeReader(path: path)
        return try reader.readConfig(top, text: text)
    }
}

/// Walks the YAML tree, remembering lines and rejecting unknown fields.
private struct NodeReader {
    let path: String
    var lines: [String: Int] = [:]

    func at(_ node: Node) -> String {
        node.mark.map { "\(path):\($0.line)" } ?? path
    }

    func fail(_ node: Node, _ field: String, _ message: String) -> ConfigError {
        ConfigError("\(at(node)): \(field): \(message)")
    }

    mutating func fields(_ mapping: Node.Mapping, _ node: Node, prefix: String, allowed: [String]) throws -> [String: Node] {
        var result: [String: Node] = [:]
        for (k, v) in mapping {
            guard let name = k.string else { throw fail(k, prefix, "field names must be strings") }
            let full = prefix.isEmpty ? name : "\(prefix).\(name)"
            guard allowed.contains(name) else {
                throw fail(k, full, "unknown field (expected one of: \(allowed.joined(separator: ", ")))")
            }
            if let line = k.mark?.line { lines[full] = line }
            result[name] = v
        }
        return result
    }

    func string(_ node: Node?, _ field: String, in parent: Node) throws -> String {
        guard let node else { throw fail(parent, field, "is required") }
        guard let s = node.scalar?.string else { throw fail(node, field, "must be a string") }
        return s
    }

    mutating func readConfig(_ top: Node.Mapping, text: String) throws -> JobConfig {
        let rootNode = Node.mapping(top)
        let f = try fields(top, rootNode, prefix: "", allowed: ["source", "event_time", "store", "segment", "pipelines", "errors"])
        // source
        guard let sourceNode = f["source"] else { throw fail(rootNode, "source", "is required") }
        let source: JobConfig.Source
        if let url = sourceNode.scalar?.string {
            source = try makeSource(url: url, format: nil, partitions: nil, node: sourceNode)
        } else if let m = sourceNode.mapping {
            let s = try fields(m, sourceNode, prefix: "source", allowed: ["url", "format", "partitions"])
            let url = try string(s["url"], "source.url", in: sourceNode)
            let format = try s["format"].map { try string($0, "source.format", in: sourceNode) }
            let partitions = try s["partitions"].map { try string($0, "source.partitions", in: sourceNode) }
            source = try makeSource(url: url, format: format, partitions: partitions, node: s["partitions"] ?? sourceNode)
        } else {
            throw fail(sourceNode, "source", "must be a URL or a mapping with url, format, partitions")
        }
        // event_time
        guard let etNode = f["event_time"] else { throw fail(rootNode, "event_time", "is required: the column that holds each row's event time") }
        let eventTime: JobConfig.EventTime
        if let column = etNode.scalar?.string {
            eventTime = .init(column: column, unit: .ms)
        } else if let m = etNode.mapping {
            let e = try fields(m, etNode, prefix: "event_time", allowed: ["column", "unit"])
            let column = try string(e["column"], "event_time.column", in: etNode)
            var unit = JobConfig.EpochUnit.ms
            if let u = e["unit"] {
                let text = try string(u, "event_time.unit", in: etNode)
                guard let parsed = JobConfig.EpochUnit(rawValue: text) else {
                    throw fail(u, "event_time.unit", "unknown unit '\(text)' (expected s, ms, us or ns)")
                }
                unit = parsed
            }
            eventTime = .init(column: column, unit: unit)
        } else {
            throw fail(etNode, "event_time", "must be a column name or a mapping with column and unit")
        }
        // store
        var store = "sqlite:./backfill.sqlite"
        if let s = f["store"] { store = try string(s, "store", in: rootNode) }
        if store.hasPrefix("sqlite:") {
            let file = String(store.dropFirst("sqlite:".count))
            store = "sqlite:" + resolve(file)
        }
        // segment
        var segment: Int64 = 86_400_000
        if let s = f["segment"] {
            let text = try string(s, "segment", in: rootNode)
            switch text {
            case "daily": segment = 86_400_000
            case "hourly": segment = 3_600_000
            default:
                do { segment = try parseDuration(text) } catch { throw fail(s, "segment", "expected daily, hourly or a duration like 1d") }
                guard segment > 0, 86_400_000 % segment == 0 || segment % 86_400_000 == 0 else {
                    throw fail(s, "segment", "must divide a day evenly or be a whole number of days")
                }
            }
        }
        // pipelines
        guard let pNode = f["pipelines"] else { throw fail(rootNode, "pipelines", "is required: at least one pipeline") }
        guard let seq = pNode.sequence, !seq.isEmpty else { throw fail(pNode, "pipelines", "must be a non-empty list") }
        var pipelines: [JobConfig.Pipeline] = []
        for (i, item) in seq.enumerated() {
            pipelines.append(try readPipeline(item, index: i))
        }
        var names = Set<String>()
        for p in pipelines where !names.insert(p.name).inserted {
            throw ConfigError("\(path):\(p.line): pipelines: the name '\(p.name)' is used twice")
        }
        // errors
        var errors = JobConfig.Errors(policy: .fail, deadLetter: nil)
        if let eNode = f["errors"] {
            guard let m = eNode.mapping else { throw fail(eNode, "errors", "must be a mapping with policy and dead_letter") }
            let e = try fields(m, eNode, prefix: "errors", allowed: ["policy", "dead_letter"])
            if let p = e["policy"] {
                let text = try string(p, "errors.policy", in: eNode)
                guard let policy = JobConfig.ErrorPolicy(rawValue: text) else {
                    throw fail(p, "errors.policy", "unknown policy '\(text)' (expected fail or skip)")
                }
                errors.policy = policy
            }
            if let d = e["dead_letter"] { errors.deadLetter = resolve(try string(d, "errors.dead_letter", in: eNode)) }
        }
        return JobConfig(path: path, source: source, eventTime: eventTime, store: store, segmentMillis: segment,
                         pipelines: pipelines, errors: errors, configHash: fnv1a(text), lines: lines)
    }

    /// Relative paths in a config are relative to the current directory, as users type them in a shell.
    func resolve(_ p: String) -> String { p }

    mutating func makeSource(url: String, format: String?, partitions: String?, node: Node) throws -> JobConfig.Source {
        let fmt: JobConfig.SourceFormat
        if let format {
            guard let f = JobConfig.SourceFormat(rawValue: format) else {
                throw fail(node, "source.format", "unknown format '\(format)' (expected parquet or jsonl)")
            }
            fmt = f
        } else if [".jsonl", ".jsonl.gz", ".json.gz", ".json", ".ndjson"].contains(where: { url.hasSuffix($0) }) || url.contains("jsonl") {
            fmt = .jsonl
        } else {
            fmt = .parquet
        }
        var filter: PartitionFilter?
        if let partitions {
            do { filter = try PartitionFilter(partitions) } catch { throw fail(node, "source.partitions", "\(error)") }
        }
        guard let fileFormat = FileFormats.named(fmt.rawValue) else {
            throw fail(node, "source.format", "format '\(fmt.rawValue)' has no reader")
        }
        return .init(url: url, format: fmt, partitions: partitions, filter: filter, fileFormat: fileFormat)
    }

    mutating func readPipeline(_ node: Node, index: Int) throws -> JobConfig.Pipeline {
        let prefix = "pipelines[\(index)]"
        guard let m = node.mapping else { throw fail(node, prefix, "must be a mapping with name, key, value, monoid, windows") }
        let p = try fields(m, node, prefix: prefix, allowed: ["name", "key", "value", "monoid", "k", "windows", "retention", "time_zone"])
        let name = try string(p["name"], "\(prefix).name", in: node)
        guard let keyNode = p["key"] else { throw fail(node, "\(prefix).key", "is required (a template like \"{entity_id}\")") }
        var keyTexts: [String] = []
        if let s = keyNode.scalar?.string {
            keyTexts = [s]
        } else if let seq = keyNode.sequence, !seq.isEmpty {
            for k in seq { keyTexts.append(try string(k, "\(prefix).key", in: keyNode)) }
        } else {
            throw fail(keyNode, "\(prefix).key", "must be a template or a non-empty list of templates")
        }
        var keys: [KeyTemplate] = []
        for t in keyTexts {
            do { keys.append(try KeyTemplate(t)) } catch { throw fail(keyNode, "\(prefix).key", "bad template '\(t)': \(error)") }
        }
        let value = try p["value"].map { try string($0, "\(prefix).value", in: node) }
        let monoidText = try p["monoid"].map { try string($0, "\(prefix).monoid", in: node) } ?? "sum"
        var k: Int?
        if let kNode = p["k"] {
            guard let v = kNode.int, v > 0, v <= 100_000 else { throw fail(kNode, "\(prefix).k", "must be an integer between 1 and 100000") }
            k = v
        }
        let monoid: MonoidKind
        do { monoid = try MonoidKind(parsing: monoidText, k: k) } catch {
            throw fail(p["monoid"] ?? node, "\(prefix).monoid", "unknown monoid '\(monoidText)' (expected sum, count, min, max, first, last, distinct or topk)")
        }
        if value == nil, monoid != .count {
            throw fail(node, "\(prefix).value", "is required for monoid '\(monoidText)' (only count needs no value)")
        }
        var windows: [WindowKind] = [.daily]
        if let wNode = p["windows"] {
            var texts: [(String, Node)] = []
            if let s = wNode.scalar?.string {
                texts = [(s, wNode)]
            } else if let seq = wNode.sequence, !seq.isEmpty {
                for w in seq { texts.append((try string(w, "\(prefix).windows", in: wNode), w)) }
            } else {
                throw fail(wNode, "\(prefix).windows", "must be a non-empty list of minute, hourly, daily, monthly, lifetime")
            }
            windows = []
            for (t, n) in texts {
                guard let w = WindowKind(rawValue: t) else {
                    throw fail(n, "\(prefix).windows", "unknown window '\(t)' (expected minute, hourly, daily, monthly or lifetime)")
                }
                if !windows.contains(w) { windows.append(w) }
            }
        }
        var retention: Int64?
        if let r = p["retention"] {
            let text = try string(r, "\(prefix).retention", in: node)
            do { retention = try parseDuration(text) } catch { throw fail(r, "\(prefix).retention", "expected a duration like 30d or 12h") }
        }
        var zone = "UTC"
        if let z = p["time_zone"] {
            zone = try string(z, "\(prefix).time_zone", in: node)
            do { _ = try BucketCalendar(timeZone: zone) } catch { throw fail(z, "\(prefix).time_zone", "unknown time zone '\(zone)'") }
        }
        return .init(name: name, keys: keys, keyTexts: keyTexts, value: value, monoid: monoid, windows: windows,
                     retentionMillis: retention, timeZone: zone, line: node.mark?.line ?? 0)
    }
}

/// FNV-1a 64-bit of the text, as 16 hex digits.
func fnv1a(_ text: String) -> String {
    let s = String(fnv1a64(text), radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// FNV-1a 64-bit of the text's UTF-8 bytes: the same on every machine and run.
func fnv1a64(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
        h ^= UInt64(b)
        h &*= 0x100_0000_01b3
    }
    return h
}
