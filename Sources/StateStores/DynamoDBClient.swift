import AWS
import AsyncHTTPClient
import Foundation
import NIOCore

/// A failed DynamoDB request (after retries). `code` is DynamoDB's error type without its namespace
/// (`ConditionalCheckFailedException`, `TransactionCanceledException`, …) or `RequestFailed` when no answer came.
public struct DynamoDBError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var message: String
    public var operation: String
    public var httpStatus: Int?
    /// For `TransactionCanceledException`: one code per transaction item, in order (`None` when that item was fine).
    public var cancellationReasons: [String]
    public var attempts: Int

    public init(code: String, message: String, operation: String, httpStatus: Int? = nil, cancellationReasons: [String] = [], attempts: Int = 1) {
        self.code = code
        self.message = message
        self.operation = operation
        self.httpStatus = httpStatus
        self.cancellationReasons = cancellationReasons
        self.attempts = attempts
    }

    public var description: String {
        var s = "DynamoDB \(operation): \(code)"
        if let httpStatus { s += " (HTTP \(httpStatus))" }
        if !message.isEmpty { s += ": \(message)" }
        if attempts > 1 { s += " [after \(attempts) attempts]" }
        return s
    }

    /// Codes worth another attempt (throttling, transient server trouble). `TransactionCanceledException` is not
    /// among them: its ConditionalCheckFailed reasons are answers, not accidents.
    static let retryableCodes: Set<String> = [
        "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError",
        "ServiceUnavailable", "TransactionInProgressException", "LimitExceededException",
    ]
}

/// One DynamoDB item or attribute map in the wire form (`{"name": {"S": "…"}}`), as parsed JSON.
typealias DynamoItem = [String: Any]

/// Attribute value builders and readers for the JSON wire form.
enum DynamoValue {
    static func s(_ v: String) -> [String: Any] { ["S": v] }
    static func n(_ v: Int64) -> [String: Any] { ["N": String(v)] }
    static func n(_ v: Double) -> [String: Any] { ["N": v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"] }
    static func b(_ v: [UInt8]) -> [String: Any] { ["B": Data(v).base64EncodedString()] }

    static func string(_ item: DynamoItem, _ name: String) -> String? {
        (item[name] as? [String: Any])?["S"] as? String
    }
    static func int(_ item: DynamoItem, _ name: String) -> Int64? {
        guard let text = (item[name] as? [String: Any])?["N"] as? String else { return nil }
        if let v = Int64(text) { return v }
        return Double(text).map { Int64($0) }
    }
    /// The text of a number attribute (can exceed 64 bits).
    static func numberText(_ item: DynamoItem, _ name: String) -> String? {
        (item[name] as? [String: Any])?["N"] as? String
    }
    static func double(_ item: DynamoItem, _ name: String) -> Double? {
        ((item[name] as? [String: Any])?["N"] as? String).flatMap(Double.init)
    }
    static func bytes(_ item: DynamoItem, _ name: String) -> [UInt8]? {
        guard let text = (item[name] as? [String: Any])?["B"] as? String, let d = Data(base64Encoded: text) else { return nil }
        return Array(d)
    }
}

/// A minimal client of DynamoDB's JSON API (`POST /`, `X-Amz-Target: DynamoDB_20120810.<Op>`), signed with our
/// SigV4 signer (service `dynamodb`). Retries throttling, 5xx and dropped connections with full-jitter backoff.
final class DynamoDBClient: @unchecked Sendable {
    let endpoint: String
    let hostHeader: String
    let path: String
    let signer: SigV4Signer?
    let http: HTTPClient
    let retry: RetryPolicy
    let requestTimeout: Double

    init(endpoint: String, region: String, credentials: AWSCredentials?, retry: RetryPolicy = RetryPolicy(maxAttempts: 8),
         requestTimeout: Double = 60) throws {
        guard let c = URLComponents(string: endpoint), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty else {
            throw DynamoDBError(code: "InvalidEndpoint", message: "endpoint '\(endpoint)' must be http(s)://host[:port]", operation: "configure")
        }
        var hostHeader = host
        if let port = c.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) { hostHeader += ":\(port)" }
        self.hostHeader = hostHeader
        var p = c.percentEncodedPath
        if p.isEmpty { p = "/" }
        self.path = p
        self.endpoint = "\(scheme)://\(hostHeader)\(p)"
        self.signer = credentials.map { SigV4Signer(credentials: $0, region: region, service: "dynamodb") }
        self.retry = retry
        self.requestTimeout = requestTimeout
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.timeout = .init(connect: .seconds(10), read: .milliseconds(Int64(requestTimeout * 1000)))
        config.decompression = .disabled
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    private let lock = NSLock()
    private var isShutDown = false
    private var writesSent = 0
    private var writesByOperation: [String: Int] = [:]

    /// The write API calls counted by `writeRequestsSent`.
    static let writeOperations: Set<String> = ["TransactWriteItems", "PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"]

    /// Write requests sent so far (TransactWriteItems, PutItem, UpdateItem, BatchWriteItem, DeleteItem), every
    /// attempt counted: what DynamoDB bills and throttles per request.
    var writeRequestsSent: Int { lock.withLock { writesSent } }
    /// The same, by API call.
    var writeRequestsByOperation: [String: Int] { lock.withLock { writesByOperation } }

    /// Shuts the HTTP client down (once).
    func shutdown() async throws {
        let first: Bool = lock.withLock {
            defer { isShutDown = true }
            return !isShutDown
        }
        if first { try await http.shutdown() }
    }

    deinit {
        // A store dropped without `shutdown()` (the CLI opens stores and exits) must not trip the client's check.
        if !isShutDown { try? http.syncShutdown() }
    }

    /// Calls `operation` with a JSON body; returns the parsed answer. Non-2xx answers throw `DynamoDBError`.
    func call(_ operation: String, _ body: [String: Any]) async throws -> DynamoItem {
        let payload = Array(try JSONSerialization.data(withJSONObject: body))
        let bytes = try await send(operation, payload)
        if bytes.isEmpty { return [:] }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw DynamoDBError(code: "InvalidResponse", message: String(decoding: bytes.prefix(200), as: UTF8.self), operation: operation)
        }
        return parsed
    }

    private func send(_ operation: String, _ payload: [UInt8]) async throws -> [UInt8] {
        var attempt = 0
        let isWrite = Self.writeOperations.contains(operation)
        while true {
            attempt += 1
            if isWrite {
                lock.withLock {
                    writesSent += 1
                    writesByOperation[operation, default: 0] += 1
                }
            }
            do {
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                let headers: [(String, String)] = [
                    ("host", hostHeader), ("content-type", "application/x-amz-json-1.0"),
                    ("x-amz-target", "DynamoDB_20120810.\(operation)"),
                ]
                for (n, v) in headers { request.headers.add(name: n, value: v) }
                if let signer {
                    let signed = signer.sign(method: "POST", canonicalPath: path, query: [], headers: headers,
                                             payloadHash: SigV4Signer.hexSHA256(payload), date: Self.amzDate())
                    for h in signed.headers { request.headers.add(name: h.name, value: h.value) }
                }
                request.body = .bytes(ByteBuffer(bytes: payload))
                let response = try await http.execute(request, deadline: .now() + .milliseconds(Int64(requestTimeout * 1000)))
                let status = Int(response.status.code)
                let body = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
                if (200..<300).contains(status) { return body }
                let failure = Self.error(status: status, body: body, operation: operation, attempts: attempt)
                let retryable = DynamoDBError.retryableCodes.contains(failure.code) || status >= 500
                guard retryable, attempt < retry.maxAttempts else { throw failure }
            } catch let e as DynamoDBError {
                throw e
            } catch {
                if error is CancellationError { throw error }
                let wrapped = DynamoDBError(code: "RequestFailed", message: "\(error)", operation: operation, attempts: attempt)
                guard RetryPolicy.isRetryable(transportError: error), attempt < retry.maxAttempts else { throw wrapped }
            }
            let delay = retry.delay(afterAttempt: attempt, unit: Double.random(in: 0...1))
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    static func error(status: Int, body: [UInt8], operation: String, attempts: Int) -> DynamoDBError {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        var code = (json["__type"] as? String) ?? "HTTP\(status)"
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        let message = (json["message"] as? String) ?? (json["Message"] as? String) ?? (json.isEmpty ? String(decoding: body.prefix(200), as: UTF8.self) : "")
        let reasons = (json["CancellationReasons"] as? [[String: Any]] ?? []).map { ($0["Code"] as? String) ?? "None" }
        return DynamoDBError(code: code, message: message, operation: operation, httpStatus: status, cancellationReasons: reasons, attempts: attempts)
    }

    static func amzDate() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    // MARK: - Operations

    /// What DescribeTable says about a table.
    struct TableDescription: Sendable {
        var status: String
        /// (attribute, key type, attribute type) in key schema order, e.g. ("pk", "HASH", "S").
        var keySchema: [(name: String, keyType: String, type: String)]
        /// PAY_PER_REQUEST or PROVISIONED (absent in old answers: PROVISIONED).
        var billingMode: String

        /// "pk (S, HASH), sk (S, RANGE)".
        var keySchemaText: String { keySchema.map { "\($0.name) (\($0.type), \($0.keyType))" }.joined(separator: ", ") }
        /// Whether the key schema is ours: string `pk` hash key, string `sk` range key.
        var hasBackfillKeys: Bool {
            keySchema.count == 2 && keySchema[0] == ("pk", "HASH", "S") && keySchema[1] == ("sk", "RANGE", "S")
        }
    }

    /// Creates the table (pk/sk strings, on-demand billing) unless it exists, and waits until it is ACTIVE. Returns
    /// whether this call created it and the table's description. An existing table with another key schema is an error.
    @discardableResult
    func createTableIfMissing(_ table: String) async throws -> (created: Bool, table: TableDescription) {
        var created = false
        if try await describeTable(table) == nil {
            do {
                _ = try await call("CreateTable", [
                    "TableName": table,
                    "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
                    "BillingMode": "PAY_PER_REQUEST",
                ])
                created = true
            } catch let e as DynamoDBError where e.code == "ResourceInUseException" {}  // created concurrently
        }
        for _ in 0..<600 {
            if let d = try await describeTable(table), d.status == "ACTIVE" {
                guard d.hasBackfillKeys else {
                    throw DynamoDBError(code: "IncompatibleTable", message: "table \(table) exists with key schema \(d.keySchemaText); Backfill needs pk (S, HASH), sk (S, RANGE): use another table name", operation: "DescribeTable")
                }
                return (created, d)
            }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        throw DynamoDBError(code: "Timeout", message: "table \(table) did not become ACTIVE within 300 s", operation: "CreateTable")
    }

    /// The table's description, nil when it does not exist.
    func describeTable(_ table: String) async throws -> TableDescription? {
        let r: DynamoItem
        do {
            r = try await call("DescribeTable", ["TableName": table])
        } catch let e as DynamoDBError where e.code == "ResourceNotFoundException" {
            return nil
        }
        let t = r["Table"] as? [String: Any] ?? [:]
        var types: [String: String] = [:]
        for a in t["AttributeDefinitions"] as? [[String: Any]] ?? [] {
            if let n = a["AttributeName"] as? String { types[n] = a["AttributeType"] as? String ?? "?" }
        }
        let keys = (t["KeySchema"] as? [[String: Any]] ?? []).map { k -> (name: String, keyType: String, type: String) in
            let n = k["AttributeName"] as? String ?? "?"
            return (n, k["KeyType"] as? String ?? "?", types[n] ?? "?")
        }
        let billing = ((t["BillingModeSummary"] as? [String: Any])?["BillingMode"] as? String) ?? "PROVISIONED"
        return TableDescription(status: t["TableStatus"] as? String ?? "ACTIVE", keySchema: keys, billingMode: billing)
    }

    func putItem(_ table: String, _ item: DynamoItem, condition: String? = nil, names: [String: String] = [:],
                 values: [String: Any] = [:]) async throws {
        var body: [String: Any] = ["TableName": table, "Item": item]
        if let condition { body["ConditionExpression"] = condition }
        if !names.isEmpty { body["ExpressionAttributeNames"] = names }
        if !values.isEmpty { body["ExpressionAttributeValues"] = values }
        _ = try await call("PutItem", body)
    }

    /// DeleteItem, optionally conditional.
    func deleteItem(_ table: String, pk: String, sk: String, condition: String? = nil, names: [String: String] = [:],
                    values: [String: Any] = [:]) async throws {
        var body: [String: Any] = ["TableName": table, "Key": ["pk": DynamoValue.s(pk), "sk": DynamoValue.s(sk)]]
        if let condition { body["ConditionExpression"] = condition }
        if !names.isEmpty { body["ExpressionAttributeNames"] = names }
        if !values.isEmpty { body["ExpressionAttributeValues"] = values }
        _ = try await call("DeleteItem", body)
    }

    func getItem(_ table: String, pk: String, sk: String) async throws -> DynamoItem? {
        let r = try await call("GetItem", ["TableName": table, "Key": ["pk": DynamoValue.s(pk), "sk": DynamoValue.s(sk)], "ConsistentRead": true])
        return r["Item"] as? DynamoItem
    }

    /// UpdateItem; returns the attributes `returnValues` asks for.
    func updateItem(_ table: String, pk: String, sk: String, update: String, condition: String? = nil, names: [String: String] = [:],
                    values: [String: Any] = [:], returnValues: String = "NONE") async throws -> DynamoItem {
        var body: [String: Any] = ["TableName": table, "Key": ["pk": DynamoValue.s(pk), "sk": DynamoValue.s(sk)],
                                   "UpdateExpression": update, "ReturnValues": returnValues]
        if let condition { body["ConditionExpression"] = condition }
        if !names.isEmpty { body["ExpressionAttributeNames"] = names }
        if !values.isEmpty { body["ExpressionAttributeValues"] = values }
        let r = try await call("UpdateItem", body)
        return r["Attributes"] as? DynamoItem ?? [:]
    }

    /// Query, following `LastEvaluatedKey` until done or `limit` items are collected.
    func query(_ table: String, keyCondition: String, filter: String? = nil, names: [String: String] = [:], values: [String: Any],
               forward: Bool = true, limit: Int? = nil) async throws -> [DynamoItem] {
        var out: [DynamoItem] = []
        var start: Any?
        repeat {
            var body: [String: Any] = ["TableName": table, "KeyConditionExpression": keyCondition, "ExpressionAttributeValues": values,
                                       "ConsistentRead": true, "ScanIndexForward": forward]
            if !names.isEmpty { body["ExpressionAttributeNames"] = names }
            if let filter { body["FilterExpression"] = filter }
            if let limit { body["Limit"] = max(1, limit - out.count) }
            if let start { body["ExclusiveStartKey"] = start }
            let r = try await call("Query", body)
            out.append(contentsOf: r["Items"] as? [DynamoItem] ?? [])
            start = r["LastEvaluatedKey"]
            if let limit, out.count >= limit { return Array(out.prefix(limit)) }
        } while start != nil
        return out
    }

    /// BatchGetItem (consistent), 100 keys a call, re-asking for unprocessed keys. Items come back in no order.
    func batchGet(_ table: String, keys: [(pk: String, sk: String)]) async throws -> [DynamoItem] {
        var out: [DynamoItem] = []
        var index = 0
        while index < keys.count {
            let slice = keys[index..<min(keys.count, index + 100)]
            index += slice.count
            var request: [String: Any] = [table: ["Keys": slice.map { ["pk": DynamoValue.s($0.pk), "sk": DynamoValue.s($0.sk)] }, "ConsistentRead": true]]
            var rounds = 0
            while true {
                rounds += 1
                let r = try await call("BatchGetItem", ["RequestItems": request])
                out.append(contentsOf: (r["Responses"] as? [String: Any])?[table] as? [DynamoItem] ?? [])
                guard let unprocessed = r["UnprocessedKeys"] as? [String: Any], !unprocessed.isEmpty else { break }
                request = unprocessed
                let delay = retry.delay(afterAttempt: min(rounds, 8), unit: Double.random(in: 0...1))
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
        return out
    }

    /// TransactWriteItems (at most 100 items); throws `DynamoDBError` with `cancellationReasons` on cancellation.
    func transactWrite(_ items: [[String: Any]], token: String? = nil) async throws {
        var body: [String: Any] = ["TransactItems": items]
        if let token { body["ClientRequestToken"] = token }
        _ = try await call("TransactWriteItems", body)
    }
}
