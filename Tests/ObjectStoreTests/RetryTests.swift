import AWS
import Foundation
import Testing
@testable import ObjectStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback HTTP/1.1 server that answers each connection with the next scripted reply (then closes it),
/// for retry behaviour no real S3 produces on demand.
final class ScriptedServer: @unchecked Sendable {
    enum Reply {
        /// Status, body and extra headers.
        case respond(Int, String, [String: String])
        /// Close the connection without answering.
        case drop
        /// Status and headers announcing `declaredLength` body bytes, then only `body`, then close.
        case truncated(Int, String, declaredLength: Int)
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var replies: [Reply]
    private var _requests: [String] = []
    private var thread: Thread?

    var requests: [String] { lock.withLock { _requests } }

    init(_ replies: [Reply]) throws {
        self.replies = replies
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw S3Error(code: "Test", message: "bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.serve() }
        self.thread = thread
        thread.start()
    }

    private func serve() {
        while true {
            let next: Reply? = lock.withLock { replies.isEmpty ? nil : replies.removeFirst() }
            guard let reply = next else { break }
            let connection = accept(listener, nil, nil)
            if connection < 0 { break }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.containsHeaderEnd {
                let n = recv(connection, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received.append(contentsOf: buffer[0..<n])
            }
            lock.withLock { _requests.append(String(decoding: received, as: UTF8.self)) }
            if case .respond(let status, let body, let headers) = reply {
                var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                let bytes = Array((head + "\r\n" + body).utf8)
                _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            }
            if case .truncated(let status, let body, let declared) = reply {
                let bytes = Array("HTTP/1.1 \(status) Status\r\nContent-Length: \(declared)\r\n\r\n\(body)".utf8)
                _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            }
            shutdown(connection, Int32(SHUT_RDWR))
            close(connection)
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

extension [UInt8] {
    fileprivate var containsHeaderEnd: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}

@Suite struct RetryTests {
    func store(port: Int, attempts: Int = 4, timeout: Double = 5) throws -> S3ObjectStore {
        let config = AWSConfiguration(credentials: AWSCredentials(accessKeyId: "AKIDTEST", secretAccessKey: "retry-test-secret"),
                                      serviceEndpointURLs: ["s3": "http://127.0.0.1:\(port)"])
        var options = S3ObjectStore.Options()
        options.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05)
        options.requestTimeout = timeout
        return try S3ObjectStore(bucket: "bucket", configuration: config, options: options)
    }

    static let slowDown = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

    @Test func retriesSlowDownAnd5xxThenSucceeds() async throws {
        let server = try ScriptedServer([
            .respond(503, Self.slowDown, [:]),
            .respond(500, "", [:]),
            .drop,
            .respond(206, "cdef", ["Content-Range": "bytes 2-5/10"]),
        ])
        defer { server.stop() }
        let store = try store(port: server.port)
        let bytes = try await store.get(key: "dt=1/file.parquet", range: 2..<6)
        try await store.shutdown()
        #expect(bytes == Array("cdef".utf8))
        let requests = server.requests
        #expect(requests.count == 4)
        #expect(requests.allSatisfy { $0.hasPrefix("GET /bucket/dt%3D1/file.parquet HTTP/1.1\r\n") })
        #expect(requests.allSatisfy { $0.lowercased().contains("range: bytes=2-5\r\n") })
        #expect(requests.allSatisfy { $0.contains("Credential=AKIDTEST/") && !$0.contains("retry-test-secret") })
    }

    /// A connection cut halfway through the body (the decoder calls it `invalidEOFState`, not a closed connection)
    /// is retried like any dropped connection, and the short body is never returned.
    @Test func answerCutMidBodyFaultIsRetried() async throws {
        let server = try ScriptedServer([
            .truncated(206, "cd", declaredLength: 4),
            .truncated(200, "<ListBucketResult>", declaredLength: 400),
            .respond(206, "cdef", ["Content-Range": "bytes 2-5/10"]),
        ])
        defer { server.stop() }
        let store = try store(port: server.port)
        var bytes: [UInt8]?
        do {
            bytes = try await store.get(key: "k", range: 2..<6)
        } catch {
            Issue.record("a cut answer was not retried: \(error)")
        }
        try await store.shutdown()
        #expect(bytes == Array("cdef".utf8))
        #expect(server.requests.count == 3)
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let server = try ScriptedServer(Array(repeating: .respond(503, Self.slowDown, [:]), count: 3))
        defer { server.stop() }
        let store = try store(port: server.port, attempts: 3)
        let error = await #expect(throws: S3Error.self) { try await store.head(key: "k") }
        try await store.shutdown()
        // HEAD: no body, so the code comes from the status.
        #expect(error?.httpStatus == 503 && error?.attempts == 3 && error?.code == "ServiceUnavailable")
        #expect(server.requests.count == 3)
    }

    @Test func accessDeniedIsNotRetried() async throws {
        let server = try ScriptedServer([
            .respond(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", [:]),
            .respond(200, "should not be fetched", [:]),
        ])
        defer { server.stop() }
        let store = try store(port: server.port)
        let error = await #expect(throws: S3Error.self) { try await store.get(key: "a/b", range: nil) }
        try await store.shutdown()
        #expect(error?.code == "AccessDenied" && error?.attempts == 1 && error?.key == "a/b" && error?.bucket == "bucket")
        #expect(server.requests.count == 1)
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        // Find a port with nothing listening.
        let probe = try ScriptedServer([])
        let port = probe.port
        probe.stop()
        // The HTTP client itself retries refused connections until the request deadline; keep it short.
        let store = try store(port: port, attempts: 3, timeout: 0.5)
        let error = await #expect(throws: S3Error.self) { try await store.list(prefix: "x/") }
        try await store.shutdown()
        #expect(error?.code == "RequestFailed" && error?.attempts == 3 && error?.httpStatus == nil)
    }
}
