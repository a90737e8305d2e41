import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import TestSupport
#endif

/// A fault-injecting HTTP/1.1 proxy for tests, on plain POSIX sockets and its own threads (never the Swift
/// concurrency pool). It listens on 127.0.0.1 (a free port) and forwards every request, byte for byte, to one
/// upstream server (moto_server, which serves S3 and DynamoDB); clients sign for the proxy's `host:port`, and since
/// the `Host` header arrives unchanged, the upstream checks the signature against what was signed.
///
/// By a deterministic schedule (a seeded generator drawn once per request, fault kinds used in turn) it instead
/// answers with an error the real services send, or forwards the request and cuts the connection halfway through
/// the answer, after the upstream has done the work. A request gets at most `Plan.maxConsecutive` faults in a row,
/// so a client that retries always gets through eventually.
final class FaultProxy: @unchecked Sendable {
    enum Fault: String, CaseIterable, Sendable, Comparable {
        /// 500: S3 `InternalError` (XML), DynamoDB `InternalServerError` (JSON).
        case internalError
        /// 503: S3 `SlowDown` (XML); DynamoDB `ServiceUnavailable` (JSON).
        case slowDown
        /// 400: DynamoDB `ThrottlingException` and `ProvisionedThroughputExceededException` in turn (JSON);
        /// S3 requests get 503 `SlowDown`.
        case throttle
        /// Forwarded; the answer is cut halfway through its body (halfway through the head when the body is shorter
        /// than 2 bytes) and the connection closed.
        case cut

        static func < (a: Fault, b: Fault) -> Bool { a.rawValue < b.rawValue }
    }

    struct Plan: Sendable {
        /// Seeds the generator that decides which requests fail.
        var seed: UInt64 = 0x5EED
        /// The chance that a request gets a fault.
        var rate: Double = 0.15
        /// The kinds of fault, used in turn.
        var kinds: [Fault]
        /// The first request of every operation gets a fault, so every operation sees at least one.
        var faultFirstOfEachOperation = true
        /// Every Nth request of an operation (counted per operation, retries included) is forwarded and cut.
        var cutEvery: [String: Int] = [:]
        /// At most this many faults in a row for one request (same operation, path, range and body).
        var maxConsecutive = 2
    }

    struct Counts: Sendable {
        var requests = 0
        var forwarded = 0
        var faults: [Fault: Int] = [:]
        /// "Fault Operation" → count, e.g. "cut TransactWriteItems".
        var faultsByOperation: [String: Int] = [:]
        /// Error codes in answers the upstream itself sent (e.g. `TransactionCanceledException`), by operation:
        /// "Operation Code" → count.
        var upstreamErrors: [String: Int] = [:]

        func faults(_ kind: Fault, _ operation: String) -> Int { faultsByOperation["\(kind.rawValue) \(operation)"] ?? 0 }
        func faults(operation: String) -> Int { Fault.allCases.reduce(0) { $0 + faults($1, operation) } }
        var totalFaults: Int { faults.values.reduce(0, +) }
        var summary: String {
            "\(requests) requests, \(forwarded) forwarded, faults: "
                + faultsByOperation.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                + "; upstream errors: " + upstreamErrors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
    }

    /// `http://127.0.0.1:<port>`.
    let endpoint: String
    let port: Int
    private let upstreamHost: String
    private let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var plan: Plan
    private var enabled = true
    private var stopped = false
    private var rng: UInt64
    private var nextKind = 0
    private var throttleTurn = 0
    private var seenPerOperation: [String: Int] = [:]
    private var streak: [String: Int] = [:]
    private var clients: Set<Int32> = []
    private var _counts = Counts()

    var counts: Counts { lock.withLock { _counts } }

    /// Faults on (default) or off; off, every request is forwarded untouched.
    var faultsEnabled: Bool {
        get { lock.withLock { enabled } }
        set { lock.withLock { enabled = newValue } }
    }

    /// - Parameter upstream: `http://host:port` of the real server (IPv4 or `localhost`).
    init(upstream: String, plan: Plan) throws {
        guard let c = URLComponents(string: upstream), c.scheme == "http", let host = c.host, let port = c.port else {
            throw ProxyError("upstream '\(upstream)' must be http://host:port")
        }
        self.upstreamHost = host == "localhost" ? "127.0.0.1" : host
        self.upstreamPort = port
        self.plan = plan
        self.rng = plan.seed
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError("socket: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw ProxyError("bind/listen on 127.0.0.1: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.endpoint = "http://127.0.0.1:\(self.port)"
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "FaultProxy.accept"
        thread.start()
    }

    /// Stops accepting and closes every client connection (their threads then end).
    func stop() {
        let open: [Int32] = lock.withLock {
            if stopped { return [] }
            stopped = true
            return Array(clients)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit {
        close(listener)
    }

    // MARK: Serving

    private static let tracing = ProcessInfo.processInfo.environment["BACKFILL_TEST_PROXY_TRACE"] == "1"

    /// With `BACKFILL_TEST_PROXY_TRACE=1`: one line per request and answer on stderr.
    private func trace(_ line: @autoclosure () -> String) {
        guard Self.tracing else { return }
        FileHandle.standardError.write(Data("FaultProxy \(line())\n".utf8))
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let accepted: Bool = lock.withLock {
                if stopped { return false }
                clients.insert(fd)
                return true
            }
            guard accepted else {
                close(fd)
                return
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [self] in
                serve(Socket(fd))
                lock.withLock { _ = clients.remove(fd) }
                close(fd)
            }
            thread.name = "FaultProxy.client"
            thread.start()
        }
    }

    /// Requests on one client connection, one after another (HTTP/1.1 keep-alive).
    private func serve(_ client: Socket) {
        while let request = HTTPMessage.read(from: client, isResponse: false, requestMethod: nil) {
            let operation = Self.operation(request)
            let identity = "\(operation) \(request.target) \(request.header("range") ?? "") \(request.body.hashValue)"
            let fault = decide(operation: operation, identity: identity)
            trace("\(client.fd) \(request.method) \(request.target.prefix(120)) \(operation) fault=\(fault?.rawValue ?? "-")")
            switch fault {
            case .internalError?, .slowDown?, .throttle?:
                guard client.sendAll(cannedError(fault!, request: request)) else { return }
                if request.header("connection")?.lowercased() == "close" { return }
            case .cut?, nil:
                guard let response = forward(request) else {
                    // The upstream failed us: let the client see a dropped connection.
                    return
                }
                if !(200..<300).contains(response.status), let code = Self.errorCode(response.body) {
                    lock.withLock { _counts.upstreamErrors["\(operation) \(code)", default: 0] += 1 }
                }
                trace("\(client.fd) <- \(response.status) body \(response.body.count) raw \(response.raw.count)")
                if fault == .cut {
                    let raw = response.raw
                    let bodyCount = response.body.count
                    let cutAt = bodyCount >= 2 ? raw.count - bodyCount + bodyCount / 2 : (raw.count - bodyCount) / 2
                    _ = client.sendAll(Array(raw[0..<cutAt]))
                    shutdown(client.fd, Int32(SHUT_RDWR))
                    return
                }
                guard client.sendAll(response.raw) else { return }
                if response.header("connection")?.lowercased() == "close" || request.header("connection")?.lowercased() == "close"
                    || response.unframed {
                    return
                }
            }
        }
    }

    /// Whether (and how) this request fails.
    private func decide(operation: String, identity: String) -> Fault? {
        lock.withLock {
            _counts.requests += 1
            seenPerOperation[operation, default: 0] += 1
            let n = seenPerOperation[operation]!
            // SeededRNG: one draw per request, so the schedule depends only on the request's index.
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let unit = Double(z >> 11) / Double(1 << 53)
            let inARow = streak[identity] ?? 0
            var fault: Fault?
            if enabled, inARow < plan.maxConsecutive, !plan.kinds.isEmpty {
                if let every = plan.cutEvery[operation], every > 0, n % every == 0 {
                    fault = .cut
                } else if (plan.faultFirstOfEachOperation && n == 1) || unit < plan.rate {
                    fault = plan.kinds[nextKind % plan.kinds.count]
                    nextKind += 1
                }
            }
            if let fault {
                streak[identity] = inARow + 1
                _counts.faults[fault, default: 0] += 1
                _counts.faultsByOperation["\(fault.rawValue) \(operation)", default: 0] += 1
            } else {
                streak[identity] = nil
            }
            if fault == nil || fault == .cut { _counts.forwarded += 1 }
            return fault
        }
    }

    /// Sends the request's bytes unchanged to the upstream on a new connection and reads the whole answer.
    private func forward(_ request: HTTPMessage) -> HTTPMessage? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 300, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(upstreamHost)
        address.sin_port = UInt16(upstreamPort).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let upstream = Socket(fd)
        guard upstream.sendAll(request.raw) else { return nil }
        return HTTPMessage.read(from: upstream, isResponse: true, requestMethod: request.method)
    }

    private func cannedError(_ fault: Fault, request: HTTPMessage) -> [UInt8] {
        let dynamo = request.header("x-amz-target") != nil
        let requestID = "fault-\(UInt32.random(in: 0...UInt32.max))"
        let status: Int, reason: String, contentType: String, body: String
        func s3(_ code: String, _ message: String) -> String {
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>\(requestID)</RequestId></Error>"
        }
        func ddb(_ type: String, _ message: String) -> String { "{\"__type\":\"\(type)\",\"message\":\"\(message)\"}" }
        switch (fault, dynamo) {
        case (.internalError, false):
            (status, reason, contentType, body) = (500, "Internal Server Error", "application/xml", s3("InternalError", "We encountered an internal error. Please try again."))
        case (.internalError, true):
            (status, reason, contentType, body) = (500, "Internal Server Error", "application/x-amz-json-1.0",
                                                   ddb("com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"))
        case (.slowDown, true):
            (status, reason, contentType, body) = (503, "Service Unavailable", "application/x-amz-json-1.0",
                                                   ddb("com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "Service unavailable"))
        case (.throttle, true):
            let turn: Int = lock.withLock { defer { throttleTurn += 1 }; return throttleTurn }
            let type = turn % 2 == 0 ? "com.amazon.coral.availability#ThrottlingException"
                : "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            (status, reason, contentType, body) = (400, "Bad Request", "application/x-amz-json-1.0", ddb(type, "Rate of requests exceeds the allowed throughput."))
        default:
            (status, reason, contentType, body) = (503, "Slow Down", "application/xml", s3("SlowDown", "Please reduce your request rate."))
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n"
            + "x-amz-request-id: \(requestID)\r\nx-amzn-RequestId: \(requestID)\r\n\r\n"
        // A HEAD answer has no body (its Content-Length describes the body a GET would get).
        return Array(head.utf8) + (request.method == "HEAD" ? [] : bytes)
    }

    /// The operation a request asks for: DynamoDB's `X-Amz-Target`, or the S3 operation by method and query.
    static func operation(_ request: HTTPMessage) -> String {
        if let target = request.header("x-amz-target"), let dot = target.lastIndex(of: ".") {
            return String(target[target.index(after: dot)...])
        }
        let query = request.target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        switch request.method {
        case "HEAD": return "HeadObject"
        case "GET" where query.contains("list-type=2"): return "ListObjectsV2"
        case "GET": return "GetObject"
        case "PUT": return "PutObject"
        case "DELETE": return "DeleteObject"
        default: return request.method
        }
    }

    /// `Code` of an S3 XML error, or the `__type` (after '#') of a DynamoDB JSON error.
    static func errorCode(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        if let start = text.range(of: "<Code>"), let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex) {
            return String(text[start.upperBound..<end.lowerBound])
        }
        if let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let type = json["__type"] as? String {
            return String(type.split(separator: "#").last ?? "")
        }
        return nil
    }
}

struct ProxyError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A blocking socket with a read buffer.
final class Socket {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(_ fd: Int32) { self.fd = fd }

    /// Writes everything; false when the peer is gone.
    func sendAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads more bytes into the buffer; false at end of stream or on an error.
    private func fill() -> Bool {
        if eof { return false }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                eof = true
                return false
            }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    /// Bytes up to and including the first CRLF CRLF, nil if the stream ends first.
    func readHead() -> [UInt8]? { readThrough([13, 10, 13, 10]) }

    /// One CRLF-terminated line, CRLF included.
    func readLine() -> [UInt8]? { readThrough([13, 10]) }

    /// Bytes up to and including the first occurrence of `terminator`. Offsets are kept relative to `start`, which
    /// `fill()` may move.
    private func readThrough(_ terminator: [UInt8]) -> [UInt8]? {
        var scanned = 0
        while true {
            let available = buffer.count - start
            if available >= terminator.count {
                var i = scanned
                while i + terminator.count <= available {
                    var match = true
                    for (j, byte) in terminator.enumerated() where buffer[start + i + j] != byte {
                        match = false
                        break
                    }
                    if match { return take(i + terminator.count) }
                    i += 1
                }
                scanned = available - terminator.count + 1
            }
            guard fill() else { return nil }
        }
    }

    func read(exactly count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            guard fill() else { return nil }
        }
        return take(count)
    }

    func readToEnd() -> [UInt8] {
        while fill() {}
        return take(buffer.count - start)
    }

    private func take(_ count: Int) -> [UInt8] {
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }
}

/// One HTTP/1.1 request or response as it was on the wire (`raw`), with its parsed head and de-chunked body.
struct HTTPMessage {
    var raw: [UInt8]
    /// Request: method and target; response: status.
    var method = ""
    var target = ""
    var status = 0
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// A response whose body ran to the end of the connection.
    var unframed = false

    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }

    /// Reads one message; nil at a clean end of stream or when the stream ends mid-message.
    static func read(from socket: Socket, isResponse: Bool, requestMethod: String?) -> HTTPMessage? {
        guard let head = socket.readHead() else { return nil }
        var message = HTTPMessage(raw: head)
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ", maxSplits: 2).map(String.init)
        guard first.count >= 2 else { return nil }
        if isResponse {
            message.status = Int(first[1]) ?? 0
        } else {
            message.method = first[0]
            message.target = first[1]
        }
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            message.headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let noBody = isResponse && (requestMethod == "HEAD" || message.status / 100 == 1 || message.status == 204 || message.status == 304)
        if noBody { return message }
        if message.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                guard let sizeLine = socket.readLine() else { return nil }
                message.raw += sizeLine
                let text = String(decoding: sizeLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let size = Int(text.split(separator: ";").first.map(String.init) ?? "", radix: 16) else { return nil }
                if size == 0 {
                    while let trailer = socket.readLine() {
                        message.raw += trailer
                        if trailer.count == 2 { return message }
                    }
                    return nil
                }
                guard let chunk = socket.read(exactly: size + 2) else { return nil }
                message.raw += chunk
                message.body += chunk.prefix(size)
            }
        }
        if let length = message.header("content-length").flatMap({ Int($0) }) {
            guard let body = socket.read(exactly: length) else { return nil }
            message.raw += body
            message.body = body
            return message
        }
        if isResponse {
            message.body = socket.readToEnd()
            message.raw += message.body
            message.unframed = true
        }
        return message
    }
}
