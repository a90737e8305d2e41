import AsyncHTTPClient
import NIOCore
import NIOHTTP1

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
