import AWS
import Foundation
import TestSupport
import Testing
@testable import ObjectStore

/// A real S3 endpoint (scripts/test.sh starts moto_server with IAM signature checking on).
enum TestServer {
    /// The server's configuration (its suite runs only when `TestEnvironment.hasS3`), with other credentials if given.
    static func configuration(secret: String? = nil, accessKey: String? = nil) throws -> AWSConfiguration {
        let endpoint = try #require(TestEnvironment.s3Endpoint, "\(TestEnvironment.noS3)")
        let credentials = AWSCredentials(accessKeyId: accessKey ?? TestEnvironment.s3AccessKey,
                                         secretAccessKey: secret ?? TestEnvironment.s3SecretKey)
        return AWSConfiguration(region: "us-east-1", credentials: credentials, serviceEndpointURLs: ["s3": endpoint])
    }

    /// A bucket name no other test uses.
    static func bucketName(_ label: String) -> String {
        "bf-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// moto_server checks signatures against a re-encoded path that keeps `=` and other sub-delimiters literal
    /// (boto3's strict `%3D` fails there too), so Hive keys need `.lenient`; real S3 takes either.
    static func options() -> S3ObjectStore.Options {
        var options = S3ObjectStore.Options()
        options.keyEncoding = .lenient
        return options
    }

    static let fastRetries = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05)
}

@Suite(.enabled(if: TestEnvironment.hasS3, TestEnvironment.noS3)) struct S3ServerTests {
    @Test func putListHeadGet() async throws {
        let config = try TestServer.configuration()
        let bucket = TestServer.bucketName("roundtrip")
        try await S3ObjectStore.withStore(bucket: bucket, configuration: config, options: TestServer.options()) { store in
            try await store.createBucket()
            let files: [(String, [UInt8])] = [
                ("events/dt=2024-01-01/hour=00/part-00000.parquet", Array(0..<100)),
                ("events/dt=2024-01-01/hour=01/part-00000.parquet", Array(repeating: 7, count: 10)),
                ("events/dt=2024-01-02 10:00/country=fr be/part-00001 (1).json", Array("{\"a\":1}\n".utf8)),
                ("events/_SUCCESS", []),
                ("events/dt=2024-01-01/_temporary/0/x", [1]),
                ("other/dt=2024-01-01/part-0.parquet", [1, 2, 3]),
            ]
            for (key, bytes) in files { try await store.put(key: key, bytes: bytes) }

            let listed = try await store.list(prefix: "events/")
            let expected = files.filter { $0.0.hasPrefix("events/") }.map(\.0).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(listed.map(\.key) == expected)
            #expect(listed.first { $0.key.hasSuffix("hour=00/part-00000.parquet") }?.size == 100)
            #expect(listed.allSatisfy { $0.etag != nil && $0.lastModified != nil })
            let now = Date().timeIntervalSince1970
            #expect(listed.allSatisfy { abs($0.lastModified! - now) < 3600 })
            #expect(try await store.list(prefix: "").count == files.count)
            #expect(try await store.list(prefix: "nothing/").isEmpty)

            let special = "events/dt=2024-01-02 10:00/country=fr be/part-00001 (1).json"
            let info = try await store.head(key: special)
            #expect(info.size == 8)
            #expect(info.etag == listed.first { $0.key == special }?.etag)
            #expect(info.lastModified != nil)
            #expect(try await store.get(key: special, range: nil) == Array("{\"a\":1}\n".utf8))

            let key = "events/dt=2024-01-01/hour=00/part-00000.parquet"
            #expect(try await store.get(key: key, range: nil) == Array(0..<100))
            #expect(try await store.get(key: key, range: 10..<20) == Array(10..<20))
            #expect(try await store.get(key: key, range: 96..<100) == [96, 97, 98, 99])
            #expect(try await store.get(key: key, range: 0..<1) == [0])
            #expect(try await store.get(key: key, range: 5..<5) == [])
            // S3 clamps a range running past the end.
            #expect(try await store.get(key: key, range: 98..<200) == [98, 99])
            await #expect(throws: S3Error.self) { try await store.get(key: key, range: 100..<110) }
            #expect(try await store.head(key: "events/_SUCCESS").size == 0)
        }
    }

    @Test func listPaginates() async throws {
        let config = try TestServer.configuration()
        let bucket = TestServer.bucketName("pages")
        var options = TestServer.options()
        options.listPageSize = 7
        try await S3ObjectStore.withStore(bucket: bucket, configuration: config, options: options) { store in
            try await store.createBucket()
            let keys = (0..<30).map { i in "data/dt=2024-01-\(String(format: "%02d", i % 5 + 1))/part-\(String(format: "%05d", i)).json" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys { group.addTask { try await store.put(key: key, bytes: Array(key.utf8)) } }
                try await group.waitForAll()
            }
            try await store.put(key: "data2/x", bytes: [1])
            let listed = try await store.list(prefix: "data/")
            #expect(listed.map(\.key) == keys.sorted())
            #expect(listed.allSatisfy { $0.size == Int64($0.key.utf8.count) })
            // A single page with 7 keys is truncated and carries a token.
            let first = try await store.listPage(prefix: "data/", continuationToken: nil)
            #expect(first.objects.count == 7 && first.isTruncated && first.nextContinuationToken != nil)
            // Delimiter listing groups partitions.
            let grouped = try await store.listPage(prefix: "data/", continuationToken: nil, delimiter: "/")
            #expect(grouped.commonPrefixes.count == 5)
        }
    }

    @Test func wrongSecretIsSignatureDoesNotMatch() async throws {
        let good = try TestServer.configuration()
        let bucket = TestServer.bucketName("badsig")
        try await S3ObjectStore.withStore(bucket: bucket, configuration: good, options: TestServer.options()) { store in
            try await store.createBucket()
            try await store.put(key: "dt=1/a.parquet", bytes: [1, 2, 3])
        }
        let secret = "definitely-not-the-secret-\(UInt32.random(in: 0...UInt32.max))"
        let bad = try TestServer.configuration(secret: secret)
        var options = TestServer.options()
        options.retry = TestServer.fastRetries
        try await S3ObjectStore.withStore(bucket: bucket, configuration: bad, options: options) { store in
            let error = await #expect(throws: S3Error.self) { try await store.get(key: "dt=1/a.parquet", range: 0..<2) }
            #expect(error?.code == "SignatureDoesNotMatch")
            #expect(error?.httpStatus == 403)
            #expect(error?.attempts == 1)
            #expect(error?.bucket == bucket && error?.key == "dt=1/a.parquet")
            let text = error.map { String(describing: $0) } ?? ""
            #expect(text.contains("s3://\(bucket)/dt=1/a.parquet") && text.contains("SignatureDoesNotMatch"))
            #expect(!text.contains(secret))
            let listError = await #expect(throws: S3Error.self) { try await store.list(prefix: "dt=1/") }
            #expect(listError?.code == "SignatureDoesNotMatch")
            // HEAD has no body: the code is derived from the status.
            let headError = await #expect(throws: S3Error.self) { try await store.head(key: "dt=1/a.parquet") }
            #expect(headError?.httpStatus == 403 && headError?.attempts == 1)
        }
    }

    @Test func unknownAccessKey() async throws {
        let config = try TestServer.configuration(accessKey: "AKIANOTAREALKEY00000")
        try await S3ObjectStore.withStore(bucket: TestServer.bucketName("badkey"), configuration: config, options: TestServer.options()) { store in
            let error = await #expect(throws: S3Error.self) { try await store.list(prefix: "") }
            #expect(error?.code == "InvalidAccessKeyId")
            #expect(error?.attempts == 1)
        }
    }

    @Test func missingKeyAndBucket() async throws {
        let config = try TestServer.configuration()
        let bucket = TestServer.bucketName("missing")
        try await S3ObjectStore.withStore(bucket: bucket, configuration: config, options: TestServer.options()) { store in
            try await store.createBucket()
            let get = await #expect(throws: S3Error.self) { try await store.get(key: "no/such.parquet", range: nil) }
            #expect(get?.code == "NoSuchKey" && get?.httpStatus == 404 && get?.key == "no/such.parquet" && get?.bucket == bucket)
            let head = await #expect(throws: S3Error.self) { try await store.head(key: "no/such.parquet") }
            #expect(head?.code == "NoSuchKey" && head?.httpStatus == 404 && head?.attempts == 1)
        }
        try await S3ObjectStore.withStore(bucket: TestServer.bucketName("nobucket"), configuration: config, options: TestServer.options()) { store in
            let list = await #expect(throws: S3Error.self) { try await store.list(prefix: "x/") }
            #expect(list?.code == "NoSuchBucket" && list?.httpStatus == 404)
            let get = await #expect(throws: S3Error.self) { try await store.get(key: "x/y", range: nil) }
            #expect(get?.code == "NoSuchBucket")
        }
    }
}
