import Foundation

/// One `key=value` directory level of a Hive-partitioned path (value URL-decoded).
public struct HivePartition: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A data file found in a dataset.
public struct DatasetFile: Sendable, Equatable {
    /// Full path (or URL) of the file.
    public var path: String
    /// Path relative to the dataset root.
    public var relativePath: String
    public var size: Int64
    /// Seconds since the epoch.
    public var modificationTime: Double
    /// Hive partition values from the directories between the root and the file.
    public var partitions: [HivePartition]
    /// The object store's version tag (S3 ETag), when the file is not local.
    public var etag: String? = nil

    public init(path: String, relativePath: String, size: Int64, modificationTime: Double, partitions: [HivePartition], etag: String? = nil) {
        self.path = path
        self.relativePath = relativePath
        self.size = size
        self.modificationTime = modificationTime
        self.partitions = partitions
        self.etag = etag
    }
}

/// Errors from dataset discovery.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Finds data files under a local path the way Spark's readers do.
public enum LocalDataset {
    /// True for names Spark and Hadoop leave beside data: markers, checksums, temporary and hidden files.
    public static func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("_") || name.hasSuffix(".crc")
    }

    /// Parses `key=value` (URL-decoded) from one path component.
    public static func partition(_ component: String) -> HivePartition? {
        guard let eq = component.firstIndex(of: "="), eq != component.startIndex else { return nil }
        let key = String(component[..<eq])
        let raw = String(component[component.index(after: eq)...])
        return HivePartition(key: key.removingPercentEncoding ?? key, value: raw.removingPercentEncoding ?? raw)
    }

    /// Every data file under `path` (or `path` itself when it is a file), sorted by relative path.
    /// `suffixes` (e.g. `[".parquet"]`) keeps only matching files when given; ignored files are always skipped.
    public static func discover(_ path: String, suffixes: [String]? = nil) throws -> [DatasetFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError("\(path): no such file or directory")
        }
        if !isDirectory.boolValue {
            let attrs = try FileManager.default.attributesOfItem(atPath: path)
            let name = (path as NSString).lastPathComponent
            return [DatasetFile(path: path, relativePath: name, size: (attrs[.size] as? NSNumber)?.int64Value ?? 0,
                                modificationTime: (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
                                partitions: [])]
        }
        var result: [DatasetFile] = []
        func walk(_ dir: String, relative: [String], partitions: [HivePartition]) throws {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            for name in names where !isIgnored(name) {
                let full = dir + "/" + name
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &sub) else { continue }
                if sub.boolValue {
                    var next = partitions
                    if let p = partition(name) { next.append(p) }
                    try walk(full, relative: relative + [name], partitions: next)
                } else {
                    if let suffixes, !suffixes.contains(where: { name.hasSuffix($0) }) { continue }
                    let attrs = try FileManager.default.attributesOfItem(atPath: full)
                    result.append(DatasetFile(
                        path: full, relativePath: (relative + [name]).joined(separator: "/"),
                        size: (attrs[.size] as? NSNumber)?.int64Value ?? 0,
                        modificationTime: (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
                        partitions: partitions))
                }
            }
        }
        let root = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        try walk(root, relative: [], partitions: [])
        return result
    }
}
