/// One object in a store (an S3 bucket today).
public struct ObjectInfo: Sendable, Equatable {
    /// The full key within the bucket (no leading slash).
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// The entity tag as the server sent it (S3 keeps the surrounding quotes), if any.
    public var etag: String?
    /// Last modification time in seconds since the epoch, if the server sent one.
    public var lastModified: Double?

    public init(key: String, size: Int64, etag: String? = nil, lastModified: Double? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Read access to a flat key space of immutable-ish objects.
public protocol ObjectStore: Sendable {
    /// Every object whose key starts with `prefix`, in key order (all pages).
    func list(prefix: String) async throws -> [ObjectInfo]
    /// Size, ETag and modification time of one object.
    func head(key: String) async throws -> ObjectInfo
    /// The bytes of one object, or of `range` (end exclusive) of it.
    func get(key: String, range: Range<Int64>?) async throws -> [UInt8]
}
