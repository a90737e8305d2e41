import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Testing
@testable import AWS

@Suite struct RetryPolicyTests {
    @Test func backoff() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 0.1, maxDelay: 2)
        #expect(policy.delay(afterAttempt: 1, unit: 1) == 0.1)
        #expect(policy.delay(afterAttempt: 3, unit: 1) == 0.4)
        #expect(policy.delay(afterAttempt: 3, unit: 0.5) == 0.2)
        #expect(policy.delay(afterAttempt: 10, unit: 1) == 2)
        #expect(policy.delay(afterAttempt: 1000, unit: 1) == 2)
        #expect(policy.delay(afterAttempt: 5, unit: 0) == 0)
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    struct Unrelated: Error {}

    @Test func transportClassification() {
        #expect(!RetryPolicy.isRetryable(transportError: CancellationError()))
        #expect(!RetryPolicy.isRetryable(transportError: Unrelated()))
        #expect(RetryPolicy.isRetryable(transportError: HTTPClientError.remoteConnectionClosed))
        #expect(RetryPolicy.isRetryable(transportError: HTTPClientError.readTimeout))
        #expect(!RetryPolicy.isRetryable(transportError: HTTPClientError.invalidURL))
        #expect(RetryPolicy.isRetryable(transportError: ChannelError.ioOnClosedChannel))
        #expect(RetryPolicy.isRetryable(transportError: HTTPParserError.invalidEOFState))
        #expect(!RetryPolicy.isRetryable(transportError: HTTPParserError.invalidHeaderToken))
    }
}
