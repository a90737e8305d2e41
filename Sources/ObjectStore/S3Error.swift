import AsyncHTTPClient
import NIOCore
import NIOHTTP1

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

    /// True for transport failures worth another attempt: dropped or refused connections (also mid-answer), timeouts.
    public static func isRetryable(transportError error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let error = error as? HTTPClientError {
            return [
                HTTPClientError.readTimeout, .writeTimeout, .connectTimeout, .remoteConnectionClosed, .deadlineExceeded,
                .getConnectionFromPoolTimeout, .tlsHandshakeTimeout,
            ].contains(error)
        }
        if error is IOError || error is ChannelError { return true }
        // The connection closed before the answer was complete (Content-Length or chunked framing unfinished): the
        // HTTP decoder reports that as a parser error, not as a closed connection. Same cause, same remedy.
        if let error = error as? HTTPParserError, error == .invalidEOFState { return true }
        // NIOPosix's NIOConnectionError (connection refused on every address), without importing NIOPosix.
        let typeName = String(reflecting: type(of: error))
        return typeName.hasSuffix("NIOConnectionError") || typeName.hasSuffix("NIOSSLError")
    }
}

/// Attempts and backoff: "full jitter" exponential backoff, `delay = random(0…min(maxDelay, baseDelay·2^(n-1)))`
/// before attempt n+1.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts including the first (at least 1).
    public var maxAttempts: Int
    /// Seconds.
    public var baseDelay: Double
    /// Seconds; the cap on one delay.
    public var maxDelay: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.1, maxDelay: Double = 5) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay after failed attempt `attempt` (1-based), for a `unit` random draw in 0…1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maxDelay, baseDelay * Double(1 << exponent))
        return ceiling * min(max(unit, 0), 1)
    }
}
