/// A failed S3 request, after retries. `code` is S3's error code (`NoSuchKey`, `SignatureDoesNotMatch`, …), or
/// one of ours for failures without an S3 answer: `RequestFailed` (connection / timeout), `InvalidResponse`,
/// `InvalidS3URL`, `InvalidEndpoint`, `InvalidArgument`. Never contains credentials.
public struct S3Error: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: String
    public var message: String
    /// What was being done: `GetObject`, `HeadObject`, `ListObjectsV2`, ….
    public var operation: String?
    public var bucket: String?
    public var key: String?
    /// The HTTP status, nil when no response arrived.
    public var httpStatus: Int?
    public var requestId: String?
    /// How many attempts were made (1 when the error was not retried).
    public var attempts: Int

    public init(code: String, message: String, operation: String? = nil, bucket: String? = nil, key: String? = nil,
                httpStatus: Int? = nil, requestId: String? = nil, attempts: Int = 1) {
        self.code = code
        self.message = message
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.httpStatus = httpStatus
        self.requestId = requestId
        self.attempts = attempts
    }

    public var description: String {
        var target = ""
        if let bucket { target = "s3://\(bucket)/" + (key ?? "") }
        var s = "S3"
        if let operation { s += " \(operation)" }
        if !target.isEmpty { s += " \(target)" }
        s += ": \(code)"
        if let httpStatus { s += " (HTTP \(httpStatus))" }
        if !message.isEmpty { s += ": \(message)" }
        if let hint = hint { s += " (\(hint))" }
        if attempts > 1 { s += " [after \(attempts) attempts]" }
        if let requestId { s += " [request id \(requestId)]" }
        return s
    }

    /// What to check, for the errors users hit when setting up.
    var hint: String? {
        switch code {
        case "SignatureDoesNotMatch": return "check AWS_SECRET_ACCESS_KEY / the profile's aws_secret_access_key, and the clock"
        case "InvalidAccessKeyId": return "check AWS_ACCESS_KEY_ID / AWS_PROFILE"
        case "AccessDenied": return "the credentials lack permission for this bucket or key"
        case "NoSuchBucket": return "check the bucket name, region and endpoint"
        case "PermanentRedirect", "AuthorizationHeaderMalformed": return "the bucket is in another region: set AWS_REGION"
        case "ExpiredToken", "RequestExpired": return "refresh the session credentials"
        case "RequestTimeTooSkewed": return "the local clock is off"
        default: return nil
        }
    }

    /// True for errors worth another attempt: 5xx, 429, throttling codes, request timeouts.
    public static func isRetryable(httpStatus: Int, code: String?) -> Bool {
        if let code {
            if retryableCodes.contains(code) { return true }
            if nonRetryableCodes.contains(code) { return false }
        }
        return httpStatus >= 500 || httpStatus == 429
    }

    static let retryableCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
        "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "ServiceUnavailable", "PriorRequestNotComplete", "OperationAborted",
    ]

    static let nonRetryableCodes: Set<String> = [
        "SignatureDoesNotMatch", "AccessDenied", "NoSuchBucket", "NoSuchKey", "InvalidAccessKeyId",
        "InvalidRange", "ExpiredToken", "InvalidToken", "AuthorizationHeaderMalformed", "PermanentRedirect",
        "NotImplemented",
    ]
}

extension S3Error: ObjectStoreError {
    public var kind: ObjectStoreErrorKind {
        switch httpStatus {
        case 404 where code != "NoSuchBucket": return .notFound
        case 403: return .accessDenied
        case 412: return .preconditionFailed
        default: return .other
        }
    }
}
