import AWS
import Aggregation
import Foundation
import ObjectStore
import StateStores
import TestSupport
@testable import Backfill

/// The local S3 / DynamoDB server scripts/test.sh starts (moto_server, IAM auth on), and the page_views dataset
/// uploaded to it once per test process.
enum MotoServer {
    static let endpoint = TestEnvironment.s3Endpoint

    static var credentials: AWSCredentials {
        AWSCredentials(accessKeyId: TestEnvironment.s3AccessKey, secretAccessKey: TestEnvironment.s3SecretKey)
    }

    /// Credentials, region and `endpoint` (the server itself, or a proxy in front of it) for S3 and DynamoDB.
    static func configuration(endpoint: String) -> AWSConfiguration {
        AWSConfiguration(region: "us-east-1", credentials: credentials, serviceEndpointURLs: ["s3": endpoint, "dynamodb": endpoint])
    }

    /// moto re-encodes '=' before checking signatures.
    static func s3Options(retry: RetryPolicy = RetryPolicy(), listPageSize: Int = 1000) -> S3ObjectStore.Options {
        var options = S3ObjectStore.Options(retry: retry, listPageSize: listPageSize)
        options.keyEncoding = .lenient
        return options
    }

    /// A bucket holding `page_views/parquet` under `warehouse/page_views/` (uploaded directly, not through a proxy),
    /// shared by the tests of one process: they only read it.
    static func pageViewsBucket() async throws -> String {
        try await PageViewsUpload.shared.bucket()
    }

    /// Expected lines of `window` whose bucket label starts with one of `prefixes` (nil: all).
    static func expected(_ window: String, bucketPrefixes prefixes: [String]?) throws -> [String] {
        let all = triples(try expectedLines(window))
        guard let prefixes else { return all }
        return all.filter { line in
            let bucket = line.split(separator: "|").dropFirst().first.map(String.init) ?? ""
            return prefixes.contains { bucket.hasPrefix($0) }
        }
    }

    /// Canonical lines of every bucket of `window` in a DynamoDB store (sum pipeline).
    static func lines(_ store: DynamoDBStateStore, pipeline: String, window: WindowKind) async throws -> [String] {
        let cal = try BucketCalendar(timeZone: "UTC")
        return try await store.query(pipeline: pipeline, window: window, key: nil, from: nil, to: nil).map {
            var line = "{\"key\": "
            jsonString($0.key, &line)
            line += ", \"bucket\": "
            jsonString(cal.label(window, start: $0.bucket), &line)
            return line + ", \"value\": \(Monoid(.sum).renderJSON($0.value))}"
        }
    }

    /// A job over `source` into `store`: page_views counted by entity, hourly, daily and lifetime.
    /// `sourceExtra`: more lines of the `source:` mapping (each "\n  key: value").
    static func pageViewsJob(source: String, store: String, pipeline: String, dir: String, sourceExtra: String = "") throws -> JobConfig {
        let yaml = """
            source:
              url: \(source)
              format: parquet\(sourceExtra)
            event_time:
              column: occurred_at_unix_ms
              unit: ms
            store: \(store)
            pipelines:
              - name: \(pipeline)
                key: "{entity_id}"
                value: count
                monoid: sum
                windows: [hourly, daily, lifetime]
            """
        let path = dir + "/job-\(UUID().uuidString.prefix(8)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try JobConfig.load(path: path)
    }
}

/// Uploads page_views once; later callers wait for the first upload.
private actor PageViewsUpload {
    static let shared = PageViewsUpload()
    private var task: Task<String, any Error>?

    func bucket() async throws -> String {
        if let task { return try await task.value }
        let task = Task<String, any Error> {
            guard let endpoint = MotoServer.endpoint else { throw ProxyError("\(TestEnvironment.noS3)") }
            let bucket = "bf-pv-\(UInt32.random(in: 0...UInt32.max))"
            let root = Paths.pageViews.appendingPathComponent("parquet").path
            try await S3ObjectStore.withStore(bucket: bucket, configuration: MotoServer.configuration(endpoint: endpoint),
                                              options: MotoServer.s3Options()) { store in
                try await store.createBucket()
                let walker = FileManager.default.enumerator(atPath: root)!
                while let relative = walker.nextObject() as? String {
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDir), !isDir.boolValue else { continue }
                    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
                    try await store.put(key: "warehouse/page_views/" + relative, bytes: bytes)
                }
            }
            return bucket
        }
        self.task = task
        return try await task.value
    }
}
