/// One object in a store (an S3 bucket, a local directory).
public struct ObjectInfo: Sendable, Equatable {
    /// The full key within the store (no leading slash).
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// The entity tag as the store gives it (S3 keeps the surrounding quotes), if any.
    public var etag: String?
    /// Last modification time in seconds since the epoch, if known.
    public var lastModified: Double?

    public init(key: String, size: Int64, etag: String? = nil, lastModified: Double? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// One level of a listing with a delimiter: the objects directly under the prefix, and the "directories"
/// (key prefixes up to and including the next delimiter) below it, both in key order.
public struct ObjectListing: Sendable, Equatable {
    public var objects: [ObjectInfo]
    public var commonPrefixes: [String]

    public init(objects: [ObjectInfo], commonPrefixes: [String]) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
    }
}

/// When a write may happen (S3's conditional writes).
public enum WriteCondition: Sendable, Equatable, CustomStringConvertible {
    /// Always (the object is created or replaced).
    case none
    /// Only when no object has the key (`If-None-Match: *`): create, never replace.
    case ifNoneMatch
    /// Only when the object exists and its ETag is this one (`If-Match`): compare-and-swap.
    case ifMatch(String)

    public var description: String {
        switch self {
        case .none: return "unconditional"
        case .ifNoneMatch: return "If-None-Match: *"
        case .ifMatch(let etag): return "If-Match: \(etag)"
        }
    }
}

/// What went wrong, for callers that act on a failure whatever the store.
public enum ObjectStoreErrorKind: Sendable, Equatable {
    /// No object has the key (S3 404 `NoSuchKey`).
    case notFound
    /// The store refused access (S3 403).
    case accessDenied
    /// A conditional write's condition did not hold (S3 412).
    case preconditionFailed
    case other
}

/// An error an object store throws; `kind` says what kind of failure it is.
public protocol ObjectStoreError: Error, CustomStringConvertible {
    var kind: ObjectStoreErrorKind { get }
}

/// A conditional write (`put`, a multipart `complete`) whose condition did not hold: the object already exists
/// (`ifNoneMatch`), or is missing or has another ETag (`ifMatch`). S3's `412 Precondition Failed` (and its
/// `409 ConditionalRequestConflict` for a concurrent conditional write). Nothing was written.
public struct PreconditionFailed: ObjectStoreError, Sendable, Equatable {
    /// The object, as a URL (`s3://bucket/key`, `file:///…`).
    public var object: String
    public var condition: WriteCondition
    /// What the store said (S3's message, or "exists" / "ETag is now …").
    public var message: String

    public init(object: String, condition: WriteCondition, message: String) {
        self.object = object
        self.condition = condition
        self.message = message
    }

    public var kind: ObjectStoreErrorKind { .preconditionFailed }
    public var description: String { "\(object): precondition failed (\(condition)): \(message)" }
}

/// A failed object store operation that is not the store's own protocol error (local files, misuse of an upload).
public struct ObjectStoreFailure: ObjectStoreError, Sendable, Equatable {
    public var kind: ObjectStoreErrorKind
    /// The object or directory, as a URL or path.
    public var object: String
    public var message: String

    public init(_ kind: ObjectStoreErrorKind, object: String, message: String) {
        self.kind = kind
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }
}

/// Part sizes of a multipart upload, the same on every store: S3 needs every part but the last to be at least
/// 5 MiB; we cap a part at 64 MiB so a writer's memory stays bounded by one part.
public enum MultipartLimits {
    /// Smallest part but the last (S3's rule).
    public static let minimumPartSize = 5 << 20
    /// The part size writers should use.
    public static let recommendedPartSize = 8 << 20
    /// Largest part this package accepts.
    public static let maximumPartSize = 64 << 20
    /// S3's cap on the number of parts.
    public static let maximumPartCount = 10_000
}

/// The part rules every store's upload checks the same way, as parts arrive.
public struct MultipartPartRules: Sendable {
    public private(set) var count = 0
    public private(set) var totalSize: Int64 = 0
    private var lastWasShort = false

    public init() {}

    /// Accepts the next part of `size` bytes, or throws naming `object` when it breaks a rule.
    public mutating func accept(size: Int, object: String) throws {
        if lastWasShort {
            throw ObjectStoreFailure(.other, object: object, message: "multipart upload: part \(count) was below the "
                + "\(MultipartLimits.minimumPartSize)-byte minimum, and only the last part may be that small")
        }
        guard size <= MultipartLimits.maximumPartSize else {
            throw ObjectStoreFailure(.other, object: object,
                                     message: "multipart upload: part \(count + 1) has \(size) bytes, over the \(MultipartLimits.maximumPartSize)-byte maximum")
        }
        guard count < MultipartLimits.maximumPartCount else {
            throw ObjectStoreFailure(.other, object: object, message: "multipart upload: more than \(MultipartLimits.maximumPartCount) parts")
        }
        count += 1
        totalSize += Int64(size)
        lastWasShort = size < MultipartLimits.minimumPartSize
    }
}

/// A multipart upload in progress: parts are sent one at a time, in order, and nothing is visible under the key
/// until `complete()`. Call `abort()` when giving up (a crashed process's uploads are the store's to expire).
public protocol MultipartUpload: AnyObject, Sendable {
    var key: String { get }
    /// Sends the next part: at most `MultipartLimits.maximumPartSize` bytes, and at least
    /// `MultipartLimits.minimumPartSize` unless it is the last one.
    func uploadPart(_ bytes: [UInt8]) async throws
    /// Makes the parts the object, atomically, if the upload's condition holds (else `PreconditionFailed`).
    @discardableResult func complete() async throws -> ObjectInfo
    /// Drops the parts; the key is left as it was.
    func abort() async throws
}

/// A flat key space of objects: listing, ranged reads, conditional writes, copy, delete, multipart upload.
public protocol ObjectStore: Sendable {
    /// Every object whose key starts with `prefix`, in key order (all pages).
    func list(prefix: String) async throws -> [ObjectInfo]
    /// One level below `prefix`: objects whose key has no `delimiter` after the prefix, and the distinct
    /// prefixes ending at the next `delimiter`, in key order.
    func list(prefix: String, delimiter: String) async throws -> ObjectListing
    /// Size, ETag and modification time of one object (an `ObjectStoreError` of kind `.notFound` when missing).
    func head(key: String) async throws -> ObjectInfo
    /// The bytes of one object, or of `range` (end exclusive) of it.
    func get(key: String, range: Range<Int64>?) async throws -> [UInt8]
    /// Writes one object whole, if `condition` holds (else `PreconditionFailed`); returns its new size and ETag.
    @discardableResult func put(key: String, bytes: [UInt8], condition: WriteCondition) async throws -> ObjectInfo
    /// Copies one object to another key (replacing what is there).
    func copy(from source: String, to destination: String) async throws
    /// Deletes one object; a missing key is not an error.
    func delete(key: String) async throws
    /// Starts a multipart upload to `key`, completed if `condition` holds then.
    func beginUpload(key: String, condition: WriteCondition) async throws -> any MultipartUpload
    /// A URL naming an object of this store, for messages and `DatasetFile.path` (`s3://bucket/key`, a local path).
    func url(of key: String) -> String
}

extension ObjectStore {
    /// An unconditional write.
    @discardableResult public func put(key: String, bytes: [UInt8]) async throws -> ObjectInfo {
        try await put(key: key, bytes: bytes, condition: .none)
    }

    /// An unconditional multipart upload.
    public func beginUpload(key: String) async throws -> any MultipartUpload {
        try await beginUpload(key: key, condition: .none)
    }
}

extension Error {
    /// The object store's kind of failure, or nil when this is not an object store error.
    public var objectStoreErrorKind: ObjectStoreErrorKind? { (self as? any ObjectStoreError)?.kind }
}
