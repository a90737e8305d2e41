import AWS
import Datasets
import Foundation
import ObjectStore
import Parquet

/// Opens sources named by path or URL: local files and directories, and `s3://bucket/prefix/` through one
/// S3 client per bucket (shut down by `shutdown()`).
public final class SourceResolver: @unchecked Sendable {
    private let lock = NSLock()
    private var stores: [String: S3ObjectStore] = [:]
    private let configuration: AWSConfiguration?
    private let options: S3ObjectStore.Options

    /// `configuration` nil: resolved from the environment (AWS_* variables, ~/.aws) when first needed.
    /// `BACKFILL_S3_KEY_ENCODING=lenient` signs `=` and other sub-delimiters literally (some S3-compatible servers need it).
    public init(configuration: AWSConfiguration? = nil, options: S3ObjectStore.Options? = nil) {
        self.configuration = configuration
        var o = options ?? S3ObjectStore.Options()
        if options == nil, ProcessInfo.processInfo.environment["BACKFILL_S3_KEY_ENCODING"] == "lenient" { o.keyEncoding = .lenient }
        self.options = o
    }

    public static func isS3(_ url: String) -> Bool {
        let l = url.lowercased()
        return l.hasPrefix("s3://") || l.hasPrefix("s3a://") || l.hasPrefix("s3n://")
    }

    /// The S3 client for a bucket (created once).
    public func store(bucket: String) throws -> S3ObjectStore {
        lock.lock()
        defer { lock.unlock() }
        if let s = stores[bucket] { return s }
        let s = try S3ObjectStore(bucket: bucket, configuration: try configuration ?? AWSConfiguration.fromEnvironment(), options: options)
        stores[bucket] = s
        return s
    }

    /// Data files under a path or URL, as Spark would read them (markers and hidden files skipped, partitions parsed).
    public func discover(_ url: String, suffixes: [String]?, filter: PartitionFilter?) async throws -> [DatasetFile] {
        guard Self.isS3(url) else { return try LocalDataset.discover(url, suffixes: suffixes, filter: filter) }
        let (bucket, rawPrefix) = try S3ObjectStore.parse(url: url)
        let s3 = try store(bucket: bucket)
        let scheme = String(url[..<url.range(of: "://")!.upperBound])
        var prefix = rawPrefix
        if !prefix.isEmpty && !prefix.hasSuffix("/") {
            // A single object, or a "directory" named without its slash.
            // Only "no such object" (404; 403 without s3:GetObject on a prefix) means "a directory": a transient
            // failure that outlasted the retries must not turn a file into an empty listing.
            let single: ObjectInfo?
            do {
                single = try await s3.head(key: prefix)
            } catch let error as S3Error where error.httpStatus == 404 || error.httpStatus == 403 {
                single = nil
            }
            if let info = single {
                return [DatasetFile(path: "\(scheme)\(bucket)/\(info.key)", relativePath: (info.key as NSString).lastPathComponent,
                                    size: info.size, modificationTime: info.lastModified ?? 0, partitions: [], etag: info.etag)]
            }
            prefix += "/"
        }
        var files: [DatasetFile] = []
        for info in try await s3.list(prefix: prefix) {
            let rest = String(info.key.dropFirst(prefix.count))
            if rest.isEmpty || rest.hasSuffix("/") { continue }
            let parts = rest.split(separator: "/").map(String.init)
            if parts.contains(where: LocalDataset.isIgnored) { continue }
            if let suffixes, !suffixes.contains(where: { parts.last!.hasSuffix($0) }) { continue }
            let partitions = parts.dropLast().compactMap(LocalDataset.partition)
            if let filter, !filter.matches(partitions) { continue }
            files.append(DatasetFile(path: "\(scheme)\(bucket)/\(info.key)", relativePath: rest, size: info.size,
                                     modificationTime: info.lastModified ?? 0, partitions: partitions, etag: info.etag))
        }
        return files.sorted { $0.relativePath < $1.relativePath }
    }

    /// Random access to a file: `pread` locally, ranged GETs on S3.
    public func byteSource(_ file: DatasetFile) async throws -> any ByteSource {
        guard Self.isS3(file.path) else { return try LocalFileSource(path: file.path) }
        let (bucket, key) = try S3ObjectStore.parse(url: file.path)
        return S3ByteSource(store: try store(bucket: bucket), key: key, name: file.path, size: file.size)
    }

    /// Random access to a path or URL given on the command line.
    public func byteSource(path: String) async throws -> any ByteSource {
        guard Self.isS3(path) else { return try LocalFileSource(path: path) }
        let (bucket, key) = try S3ObjectStore.parse(url: path)
        let s3 = try store(bucket: bucket)
        let info = try await s3.head(key: key)
        return S3ByteSource(store: s3, key: key, name: path, size: info.size)
    }

    /// A local path for a file (S3 objects are downloaded to a temporary file, removed by `cleanup`).
    public func localCopy(_ file: DatasetFile) async throws -> (path: String, cleanup: () -> Void) {
        guard Self.isS3(file.path) else { return (file.path, {}) }
        let (bucket, key) = try S3ObjectStore.parse(url: file.path)
        let bytes = try await store(bucket: bucket).get(key: key, range: nil)
        let name = (key as NSString).lastPathComponent
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("backfill-\(UUID().uuidString)-\(name)").path
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
            throw RunError("cannot write a temporary copy of \(file.path) to \(tmp)")
        }
        return (tmp, { try? FileManager.default.removeItem(atPath: tmp) })
    }

    /// Shuts down every S3 client.
    public func shutdown() async {
        let all = lock.withLock { () -> [S3ObjectStore] in
            defer { stores = [:] }
            return Array(stores.values)
        }
        for s in all { try? await s.shutdown() }
    }
}

/// A Parquet byte source over ranged GETs of one S3 object.
public struct S3ByteSource: ByteSource {
    public let store: S3ObjectStore
    public let key: String
    public let name: String
    public let size: Int64

    public func read(offset: Int64, length: Int) async throws -> [UInt8] {
        guard offset >= 0, length >= 0, Int64(length) <= size - offset else {
            throw ParquetError.io("\(name): read of \(length) bytes at \(offset) is outside the object (\(size) bytes)")
        }
        if length == 0 { return [] }
        let bytes = try await store.get(key: key, range: offset..<(offset + Int64(length)))
        guard bytes.count == length else {
            throw ParquetError.io("\(name): asked for \(length) bytes at \(offset), got \(bytes.count)")
        }
        return bytes
    }
}
