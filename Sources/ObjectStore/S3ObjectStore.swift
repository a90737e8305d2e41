import AWS
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One S3 bucket (AWS or any S3-compatible endpoint) read with SigV4-signed requests.
///
/// The store owns an `HTTPClient` unless one is passed in: call `shutdown()` when done (or use
/// `withStore`). Retries 5xx, throttling and dropped connections with jittered exponential backoff;
/// authorization and not-found errors fail at once with an `S3Error` naming bucket and key.
public final class S3ObjectStore: ObjectStore {
    public struct Options: Sendable {
        /// Overrides the configuration's addressing style.
        public var addressingStyle: S3AddressingStyle?
        /// Seconds one attempt may take, body included.
        public var requestTimeout: Double
        /// Seconds to establish a connection (owned client only).
        public var connectTimeout: Double
        public var retry: RetryPolicy
        /// `max-keys` for ListObjectsV2 (S3 caps it at 1000).
        public var listPageSize: Int
        /// How object keys are percent-encoded in request paths (the path is signed exactly as sent).
        public var keyEncoding: KeyEncoding

        public init(addressingStyle: S3AddressingStyle? = nil, requestTimeout: Double = 60, connectTimeout: Double = 10,
                    retry: RetryPolicy = RetryPolicy(), listPageSize: Int = 1000, keyEncoding: KeyEncoding = .strict) {
            self.addressingStyle = addressingStyle
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.retry = retry
            self.listPageSize = listPageSize
            self.keyEncoding = keyEncoding
        }
    }

    public enum KeyEncoding: Sendable, Equatable {
        /// Everything but unreserved characters and `/` is `%XX`-encoded, as the AWS SDKs do (`dt%3D2024-01-01`).
        case strict
        /// RFC 3986 path sub-delimiters (`!$&'()*+,:;=@`) are sent literally in paths (`dt=2024-01-01`), and `/`
        /// in query values (`prefix=dt=1/`). For servers that re-encode the request before checking signatures,
        /// like moto_server; keys containing `%` still fail there.
        case lenient
    }

    /// Where requests go: `scheme://host[:port]` plus the path that precedes keys.
    public struct Endpoint: Sendable, Equatable {
        public var scheme: String
        /// Host as it goes into the URL (IPv6 in brackets); with virtual-host style it starts with the bucket.
        public var host: String
        public var port: Int?
        /// Percent-encoded path before the object key: `/bucket` (path style, plus any endpoint path) or empty.
        public var basePath: String

        /// The `Host` header value.
        public var hostHeader: String {
            guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
            return "\(host):\(port)"
        }
    }

    public let bucket: String
    public let region: String
    public let endpoint: Endpoint
    public let options: Options
    private let signer: SigV4Signer?
    private let client: HTTPClient
    private let ownsClient: Bool

    /// - Parameters:
    ///   - configuration: credentials, region and endpoint (`AWSConfiguration.fromEnvironment()` for the usual).
    ///   - httpClient: a client to borrow (not shut down by `shutdown()`); nil creates and owns one.
    public init(bucket: String, configuration: AWSConfiguration, options: Options = Options(), httpClient: HTTPClient? = nil) throws {
        guard !bucket.isEmpty, !bucket.contains("/") else {
            throw S3Error(code: "InvalidArgument", message: "invalid bucket name '\(bucket)'", bucket: bucket)
        }
        self.bucket = bucket
        self.region = configuration.region
        self.options = options
        self.endpoint = try Self.resolveEndpoint(
            bucket: bucket, region: configuration.region, configured: configuration.endpointURL(service: "s3"),
            style: options.addressingStyle ?? configuration.s3AddressingStyle)
        self.signer = configuration.credentials.map { SigV4Signer(credentials: $0, region: configuration.region, service: "s3") }
        if let httpClient {
            self.client = httpClient
            self.ownsClient = false
        } else {
            var config = HTTPClient.Configuration()
            config.redirectConfiguration = .disallow
            config.timeout = .init(connect: .milliseconds(Int64(options.connectTimeout * 1000)),
                                   read: .milliseconds(Int64(options.requestTimeout * 1000)))
            config.decompression = .disabled
            self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
            self.ownsClient = true
        }
    }

    /// Shuts down the owned HTTP client (a borrowed one is left alone). Call once, after the last request.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// Runs `body` with a new store and shuts it down afterwards, also when `body` throws.
    public static func withStore<T: Sendable>(
        bucket: String, configuration: AWSConfiguration, options: Options = Options(),
        _ body: (S3ObjectStore) async throws -> T
    ) async throws -> T {
        let store = try S3ObjectStore(bucket: bucket, configuration: configuration, options: options)
        let result: T
        do {
            result = try await body(store)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
        return result
    }

    /// Splits `s3://bucket/prefix/` (also `s3a://`, `s3n://`) into bucket and key prefix (verbatim, may be empty).
    public static func parse(url: String) throws -> (bucket: String, prefix: String) {
        let schemes = ["s3://", "s3a://", "s3n://"]
        guard let scheme = schemes.first(where: { url.lowercased().hasPrefix($0) }) else {
            throw S3Error(code: "InvalidS3URL", message: "'\(url)' is not an s3://bucket/prefix URL")
        }
        let rest = url.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/")
        let bucket = String(slash.map { rest[..<$0] } ?? rest)
        let prefix = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard !bucket.isEmpty, bucket.allSatisfy({ allowed.contains($0) }) else {
            throw S3Error(code: "InvalidS3URL", message: "'\(url)' has no valid bucket name")
        }
        return (bucket, prefix)
    }

    // MARK: Operations

    public func list(prefix: String) async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, continuationToken: token)
            result.append(contentsOf: page.objects)
            if page.isTruncated {
                guard let next = page.nextContinuationToken, next != token else {
                    throw S3Error(code: "InvalidResponse", message: "truncated listing without a new NextContinuationToken",
                                  operation: "ListObjectsV2", bucket: bucket, key: prefix)
                }
                token = next
            } else {
                token = nil
            }
        } while token != nil
        return result
    }

    /// One ListObjectsV2 page; `delimiter` ("/") groups keys into `commonPrefixes`.
    func listPage(prefix: String, continuationToken: String?, delimiter: String? = nil) async throws -> ListObjectsPage {
        var query: [(String, String)] = [("list-type", "2"), ("max-keys", String(max(1, min(options.listPageSize, 1000))))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        let response = try await perform(operation: "ListObjectsV2", method: .GET, key: nil, errorKey: prefix, query: query)
        do {
            return try ListObjectsPage.parse(response.body)
        } catch {
            throw S3Error(code: "InvalidResponse", message: "cannot parse the listing: \(error)", operation: "ListObjectsV2",
                          bucket: bucket, key: prefix, httpStatus: response.status)
        }
    }

    public func head(key: String) async throws -> ObjectInfo {
        try checkKey(key, operation: "HeadObject")
        let response = try await perform(operation: "HeadObject", method: .HEAD, key: key)
        guard let length = response.headers.first(name: "content-length").flatMap({ Int64($0.trimmingSpace()) }) else {
            throw S3Error(code: "InvalidResponse", message: "HEAD response without Content-Length", operation: "HeadObject",
                          bucket: bucket, key: key, httpStatus: response.status)
        }
        return ObjectInfo(key: key, size: length, etag: response.headers.first(name: "etag"),
                          lastModified: response.headers.first(name: "last-modified").flatMap(HTTPDates.parseIMFFixdate))
    }

    /// The object's bytes, or those of `range` (end exclusive). S3 clamps a range that runs past the end of the
    /// object, so fewer bytes than asked can come back; a range starting at or past the end is `InvalidRange`.
    public func get(key: String, range: Range<Int64>?) async throws -> [UInt8] {
        try checkKey(key, operation: "GetObject")
        var headers: [(String, String)] = []
        if let range {
            guard range.lowerBound >= 0 else {
                throw S3Error(code: "InvalidArgument", message: "negative range start \(range.lowerBound)", operation: "GetObject",
                              bucket: bucket, key: key)
            }
            if range.isEmpty { return [] }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        let response = try await perform(operation: "GetObject", method: .GET, key: key, headers: headers,
                                         bodyLimit: range.map { Int(clamping: $0.count) } ?? Int.max)
        if let range, response.status == 200 {
            // The server ignored Range and sent the whole object.
            let start = Int(clamping: range.lowerBound), end = Int(clamping: min(range.upperBound, Int64(response.body.count)))
            return start < end ? Array(response.body[start..<end]) : []
        }
        return response.body
    }

    /// Writes one object with a single PUT, if `condition` holds (`If-None-Match: *` / `If-Match`); S3's 412 (and
    /// its 409 `ConditionalRequestConflict`, and a 404 for `ifMatch` on a missing key) become `PreconditionFailed`.
    @discardableResult
    public func put(key: String, bytes: [UInt8], condition: WriteCondition) async throws -> ObjectInfo {
        try checkKey(key, operation: "PutObject")
        let headers = [("content-type", "application/octet-stream")] + Self.conditionHeaders(condition)
        let response = try await conditional(condition, key: key) {
            try await perform(operation: "PutObject", method: .PUT, key: key, headers: headers, body: bytes)
        }
        return ObjectInfo(key: key, size: Int64(bytes.count), etag: response.headers.first(name: "etag"),
                          lastModified: response.headers.first(name: "last-modified").flatMap(HTTPDates.parseIMFFixdate))
    }

    /// Copies one object inside the bucket (CopyObject: objects up to 5 GB).
    public func copy(from source: String, to destination: String) async throws {
        try checkKey(source, operation: "CopyObject")
        try checkKey(destination, operation: "CopyObject")
        let copySource = "/" + SigV4Signer.uriEncode(bucket, encodeSlash: true) + "/" + SigV4Signer.uriEncode(source, encodeSlash: false)
        let response: Response
        do {
            response = try await perform(operation: "CopyObject", method: .PUT, key: destination,
                                         headers: [("x-amz-copy-source", copySource)])
        } catch var error as S3Error where error.code == "NoSuchKey" {
            // The missing key is the source.
            error.message = "copy source \(url(of: source)) to \(url(of: destination)): \(error.message)"
            error.key = source
            throw error
        }
        // CopyObject can fail after answering 200: the error is then in the body.
        try throwIfErrorDocument(response, operation: "CopyObject", key: destination)
    }

    /// Deletes one object (S3 answers success for a missing key too).
    public func delete(key: String) async throws {
        try checkKey(key, operation: "DeleteObject")
        _ = try await perform(operation: "DeleteObject", method: .DELETE, key: key)
    }

    /// One level of the listing below `prefix` (ListObjectsV2 with a delimiter, all pages).
    public func list(prefix: String, delimiter: String) async throws -> ObjectListing {
        var objects: [ObjectInfo] = []
        var prefixes: [String] = []
        var token: String?
        repeat {
            let page = try await listPage(prefix: prefix, continuationToken: token, delimiter: delimiter)
            objects.append(contentsOf: page.objects)
            prefixes.append(contentsOf: page.commonPrefixes)
            if page.isTruncated {
                guard let next = page.nextContinuationToken, next != token else {
                    throw S3Error(code: "InvalidResponse", message: "truncated listing without a new NextContinuationToken",
                                  operation: "ListObjectsV2", bucket: bucket, key: prefix)
                }
                token = next
            } else {
                token = nil
            }
        } while token != nil
        return ObjectListing(objects: objects, commonPrefixes: prefixes)
    }

    /// Starts a multipart upload (CreateMultipartUpload); `condition` is sent with CompleteMultipartUpload.
    public func beginUpload(key: String, condition: WriteCondition) async throws -> any MultipartUpload {
        try checkKey(key, operation: "CreateMultipartUpload")
        let response = try await perform(operation: "CreateMultipartUpload", method: .POST, key: key, query: [("uploads", "")],
                                         headers: [("content-type", "application/octet-stream")])
        let uploadId: String
        do {
            let root = try XMLReader.parse(response.body)
            guard root.name == "InitiateMultipartUploadResult", let id = root.string("UploadId"), !id.isEmpty else {
                throw XMLParseError(message: "expected <InitiateMultipartUploadResult> with an <UploadId>, got <\(root.name)>", offset: 0)
            }
            uploadId = id
        } catch {
            throw S3Error(code: "InvalidResponse", message: "cannot parse the answer: \(error)", operation: "CreateMultipartUpload",
                          bucket: bucket, key: key, httpStatus: response.status)
        }
        return S3MultipartUpload(store: self, key: key, uploadId: uploadId, condition: condition)
    }

    public func url(of key: String) -> String { "s3://\(bucket)/\(key)" }

    /// UploadPart: the part's ETag.
    func uploadPart(key: String, uploadId: String, number: Int, bytes: [UInt8]) async throws -> String {
        let response = try await perform(operation: "UploadPart", method: .PUT, key: key,
                                         query: [("partNumber", String(number)), ("uploadId", uploadId)], body: bytes)
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw S3Error(code: "InvalidResponse", message: "UploadPart answer without an ETag (part \(number))",
                          operation: "UploadPart", bucket: bucket, key: key, httpStatus: response.status)
        }
        return etag
    }

    /// CompleteMultipartUpload: the new object's ETag.
    func completeUpload(key: String, uploadId: String, parts: [String], condition: WriteCondition) async throws -> String? {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (index, etag) in parts.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.xmlEscape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let headers = [("content-type", "application/xml")] + Self.conditionHeaders(condition)
        let response = try await conditional(condition, key: key) {
            let response = try await perform(operation: "CompleteMultipartUpload", method: .POST, key: key,
                                             query: [("uploadId", uploadId)], headers: headers, body: Array(xml.utf8))
            // CompleteMultipartUpload can fail after answering 200: the error is then in the body.
            try throwIfErrorDocument(response, operation: "CompleteMultipartUpload", key: key)
            return response
        }
        return (try? XMLReader.parse(response.body))?.string("ETag") ?? response.headers.first(name: "etag")
    }

    /// AbortMultipartUpload; an upload S3 no longer knows (`NoSuchUpload`) counts as aborted.
    func abortUpload(key: String, uploadId: String) async throws {
        do {
            _ = try await perform(operation: "AbortMultipartUpload", method: .DELETE, key: key, query: [("uploadId", uploadId)])
        } catch let error as S3Error where error.code == "NoSuchUpload" {
            return
        }
    }

    static func conditionHeaders(_ condition: WriteCondition) -> [(String, String)] {
        switch condition {
        case .none: return []
        case .ifNoneMatch: return [("if-none-match", "*")]
        case .ifMatch(let etag): return [("if-match", etag)]
        }
    }

    /// Runs a conditional request, turning the answers that mean "the condition did not hold" into `PreconditionFailed`.
    private func conditional<T>(_ condition: WriteCondition, key: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error where condition != .none {
            let failed = error.httpStatus == 412 || error.code == "PreconditionFailed" || error.code == "ConditionalRequestConflict"
                || (error.httpStatus == 404 && error.code == "NoSuchKey" && condition != .ifNoneMatch)
            guard failed else { throw error }
            throw PreconditionFailed(object: url(of: key), condition: condition,
                                     message: error.code == "NoSuchKey" ? "no such object" : "\(error.code): \(error.message)")
        }
    }

    private func throwIfErrorDocument(_ response: Response, operation: String, key: String) throws {
        guard let document = S3ErrorDocument.parse(response.body) else { return }
        let code = document.code ?? "InternalError"
        throw S3Error(code: code, message: document.message ?? "", operation: operation, bucket: bucket, key: key,
                      httpStatus: code == "PreconditionFailed" ? 412 : response.status, requestId: document.requestId)
    }

    static func xmlEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Creates the bucket (tests; in the configured region). `BucketAlreadyOwnedByYou` counts as success.
    public func createBucket() async throws {
        var body: [UInt8] = []
        if region != "us-east-1" {
            body = Array("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        do {
            _ = try await perform(operation: "CreateBucket", method: .PUT, key: nil, body: body)
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    private func checkKey(_ key: String, operation: String) throws {
        guard !key.isEmpty else {
            throw S3Error(code: "InvalidArgument", message: "empty object key", operation: operation, bucket: bucket, key: key)
        }
    }

    // MARK: Requests

    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends one request with retries; non-2xx answers become `S3Error`s.
    private func perform(operation: String, method: HTTPMethod, key: String?, errorKey: String? = nil,
                         query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = [],
                         bodyLimit: Int = Int.max) async throws -> Response {
        let policy = options.retry
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<Response, S3Error>
            do {
                let request = try buildRequest(method: method, key: key, query: query, headers: headers, body: body)
                let response = try await client.execute(request, deadline: .now() + .milliseconds(Int64(options.requestTimeout * 1000)))
                let status = Int(response.status.code)
                // Error bodies are small; success bodies are bounded by bodyLimit (a range) or not at all.
                let limit = (200..<300).contains(status) ? bodyLimit : 1 << 20
                let collected = method == .HEAD ? ByteBuffer() : try await response.body.collect(upTo: max(limit, 1 << 16))
                let bytes = Array(collected.readableBytesView)
                if (200..<300).contains(status) {
                    return Response(status: status, headers: response.headers, body: bytes)
                }
                outcome = .failure(errorFor(status: status, headers: response.headers, body: bytes, operation: operation,
                                            key: key ?? errorKey, attempts: attempt))
            } catch let error as S3Error {
                throw error
            } catch {
                if error is CancellationError { throw error }
                guard RetryPolicy.isRetryable(transportError: error) else {
                    throw S3Error(code: "RequestFailed", message: "\(error)", operation: operation, bucket: bucket,
                                  key: key ?? errorKey, attempts: attempt)
                }
                outcome = .failure(S3Error(code: "RequestFailed", message: "\(error)", operation: operation, bucket: bucket,
                                           key: key ?? errorKey, attempts: attempt))
            }
            guard case .failure(let failure) = outcome else { fatalError("unreachable") }
            let retryable = failure.httpStatus.map { S3Error.isRetryable(httpStatus: $0, code: failure.code) } ?? true
            guard retryable, attempt < policy.maxAttempts else { throw failure }
            let delay = policy.delay(afterAttempt: attempt, unit: Double.random(in: 0...1))
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    private func errorFor(status: Int, headers: HTTPHeaders, body: [UInt8], operation: String, key: String?, attempts: Int) -> S3Error {
        let document = S3ErrorDocument.parse(body)
        let code: String
        if let parsed = document?.code, !parsed.isEmpty {
            code = parsed
        } else {
            // HEAD answers carry no body; name the status the way S3 would.
            switch status {
            case 301: code = "PermanentRedirect"
            case 400: code = "BadRequest"
            case 403: code = "AccessDenied"
            case 404: code = (key?.isEmpty ?? true) ? "NoSuchBucket" : "NoSuchKey"
            case 412: code = "PreconditionFailed"
            case 416: code = "InvalidRange"
            case 429: code = "SlowDown"
            case 500: code = "InternalError"
            case 503: code = "ServiceUnavailable"
            default: code = "HTTP\(status)"
            }
        }
        var message = document?.message ?? ""
        if message.isEmpty, document == nil, !body.isEmpty, operation != "HeadObject" {
            message = String(decoding: body.prefix(200), as: UTF8.self)
        }
        if code == "PermanentRedirect" || status == 301, let other = headers.first(name: "x-amz-bucket-region") {
            message += (message.isEmpty ? "" : " ") + "(bucket region: \(other))"
        }
        if status == 403, document == nil, operation == "HeadObject" {
            message = "forbidden (HEAD responses carry no error code: wrong credentials or no permission)"
        }
        return S3Error(code: code, message: message, operation: operation, bucket: bucket, key: key, httpStatus: status,
                       requestId: document?.requestId ?? headers.first(name: "x-amz-request-id"), attempts: attempts)
    }

    private func buildRequest(method: HTTPMethod, key: String?, query: [(String, String)], headers: [(String, String)],
                              body: [UInt8]) throws -> HTTPClientRequest {
        var path = endpoint.basePath
        if let key { path += "/" + SigV4Signer.uriEncode(key, encodeSlash: false, keepSubDelims: options.keyEncoding == .lenient) }
        if path.isEmpty { path = "/" }
        let queryString = query
            .map { (SigV4Signer.uriEncode($0.0, encodeSlash: true), SigV4Signer.uriEncodeQueryValue($0.1, lenient: options.keyEncoding == .lenient)) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
        var url = "\(endpoint.scheme)://\(endpoint.hostHeader)\(path)"
        if !queryString.isEmpty { url += "?" + queryString }

        var request = HTTPClientRequest(url: url)
        request.method = method
        // Content-Length is left unsigned: the HTTP client sets it from the body.
        let toSign: [(String, String)] = [("host", endpoint.hostHeader)] + headers
        for (name, value) in toSign { request.headers.add(name: name, value: value) }
        if let signer {
            let payloadHash = body.isEmpty ? SigV4Signer.emptyPayloadHash : SigV4Signer.hexSHA256(body)
            let signed = signer.sign(method: method.rawValue, canonicalPath: path, query: query, headers: toSign,
                                     payloadHash: payloadHash, date: HTTPDates.amzDate(Self.now()),
                                     lenientQuery: options.keyEncoding == .lenient)
            for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        }
        if !body.isEmpty || method == .PUT || method == .POST {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    private static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int(ts.tv_sec)
    }

    /// Splits an endpoint URL and places the bucket in host or path.
    static func resolveEndpoint(bucket: String, region: String, configured: String?, style: S3AddressingStyle) throws -> Endpoint {
        let urlString = configured ?? "https://s3.\(region).amazonaws.com"
        guard let schemeEnd = urlString.range(of: "://") else {
            throw S3Error(code: "InvalidEndpoint", message: "endpoint '\(urlString)' has no scheme (http:// or https://)")
        }
        let scheme = urlString[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw S3Error(code: "InvalidEndpoint", message: "endpoint '\(urlString)': scheme must be http or https")
        }
        let rest = urlString[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        var basePath = String(rest[pathStart...])
        if let q = basePath.firstIndex(of: "?") { basePath = String(basePath[..<q]) }
        while basePath.hasSuffix("/") { basePath.removeLast() }
        var host = authority
        var port: Int?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else {
                throw S3Error(code: "InvalidEndpoint", message: "endpoint '\(urlString)' has an invalid port")
            }
            port = p
        }
        guard !host.isEmpty, !authority.contains("@") else {
            throw S3Error(code: "InvalidEndpoint", message: "endpoint '\(urlString)' has no valid host")
        }
        let virtual: Bool
        switch style {
        case .path: virtual = false
        case .virtual: virtual = true
        case .auto: virtual = configured == nil && isVirtualHostable(bucket)
        }
        if virtual {
            return Endpoint(scheme: scheme, host: bucket + "." + host, port: port, basePath: basePath)
        }
        return Endpoint(scheme: scheme, host: host, port: port, basePath: basePath + "/" + SigV4Signer.uriEncode(bucket, encodeSlash: true))
    }

    /// DNS-compatible and dot-free (dots break TLS wildcard certificates).
    static func isVirtualHostable(_ bucket: String) -> Bool {
        guard (3...63).contains(bucket.count), let first = bucket.first, let last = bucket.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber else { return false }
        return bucket.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
