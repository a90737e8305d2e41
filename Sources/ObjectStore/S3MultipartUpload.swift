/// A multipart upload to S3: UploadPart per part (each sent whole, nothing kept after its ETag arrives),
/// CompleteMultipartUpload with the upload's condition, AbortMultipartUpload.
public actor S3MultipartUpload: MultipartUpload {
    public nonisolated let key: String
    public nonisolated let uploadId: String
    public nonisolated let condition: WriteCondition
    private let store: S3ObjectStore
    private var rules = MultipartPartRules()
    private var partETags: [String] = []
    private var finished = false

    init(store: S3ObjectStore, key: String, uploadId: String, condition: WriteCondition) {
        self.store = store
        self.key = key
        self.uploadId = uploadId
        self.condition = condition
    }

    public func uploadPart(_ bytes: [UInt8]) async throws {
        try checkOpen()
        try rules.accept(size: bytes.count, object: store.url(of: key))
        partETags.append(try await store.uploadPart(key: key, uploadId: uploadId, number: rules.count, bytes: bytes))
    }

    @discardableResult
    public func complete() async throws -> ObjectInfo {
        try checkOpen()
        if partETags.isEmpty {
            // S3 needs at least one part; an empty object is one empty part.
            try rules.accept(size: 0, object: store.url(of: key))
            partETags.append(try await store.uploadPart(key: key, uploadId: uploadId, number: 1, bytes: []))
        }
        let etag = try await store.completeUpload(key: key, uploadId: uploadId, parts: partETags, condition: condition)
        finished = true
        return ObjectInfo(key: key, size: rules.totalSize, etag: etag)
    }

    public func abort() async throws {
        guard !finished else { return }
        try await store.abortUpload(key: key, uploadId: uploadId)
        finished = true
    }

    private func checkOpen() throws {
        guard !finished else {
            throw ObjectStoreFailure(.other, object: store.url(of: key), message: "multipart upload \(uploadId) is already completed or aborted")
        }
    }
}
