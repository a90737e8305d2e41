import Foundation
import Testing
@testable import Backfill

/// `backfill store init` and `backfill throttle` as a user runs them: output, JSON, exit codes, help.
@Suite struct StoreCommandTests {
    func backfill(_ args: [String], environment: [String: String] = [:]) throws -> ThrottleTests.Output? {
        guard let exe = Paths.executable else {
            print("skipping CLI test: no built backfill executable (run `swift build` first)")
            return nil
        }
        if environment.isEmpty { return try ThrottleTests.backfill(exe, args) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return .init(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func storeInitOnSQLiteCreatesThenReports() throws {
        let dir = try Paths.temp("store-init")
        let url = "sqlite:\(dir)/s.sqlite"
        guard let first = try backfill(["store", "init", url]) else { return }
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("SQLite \(dir)/s.sqlite: created file \(dir)/s.sqlite, table "), "\(first.stdout)")
        #expect(first.stdout.contains("table settings") && first.stdout.contains("schema version 0 -> "), "\(first.stdout)")
        let second = try json(try #require(try backfill(["store", "init", url, "--format", "json"])).stdout)
        #expect(second["kind"] as? String == "sqlite" && (second["created"] as? [String])?.isEmpty == true)
        #expect((second["existing"] as? [String])?.contains("table settings") == true)
        let version = second["schema_version"] as? [String: Int]
        #expect(version?["before"] == version?["after"] && (version?["after"] ?? 0) >= 3)
        let text = try #require(try backfill(["store", "init", url]))
        #expect(text.stdout.contains("nothing to create"), "\(text.stdout)")
    }

    @Test func storeInitOnDynamoDBCreatesTheTableThenReportsIt() throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["BACKFILL_TEST_S3_ENDPOINT"], !endpoint.isEmpty else {
            print("skipping DynamoDB store init CLI test: BACKFILL_TEST_S3_ENDPOINT not set (scripts/test.sh starts moto_server)")
            return
        }
        let aws = ["AWS_ACCESS_KEY_ID": env["BACKFILL_TEST_S3_ACCESS_KEY"] ?? "testing",
                   "AWS_SECRET_ACCESS_KEY": env["BACKFILL_TEST_S3_SECRET_KEY"] ?? "testing", "AWS_REGION": "us-east-1"]
        let table = "bf-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let url = "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)"
        guard let first = try backfill(["store", "init", url], environment: aws) else { return }
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("DynamoDB \(table): created table \(table)"), "\(first.stdout)")
        #expect(first.stdout.contains("PAY_PER_REQUEST") && first.stdout.contains("status ACTIVE"), "\(first.stdout)")
        let again = try #require(try backfill(["store", "init", url, "--format", "json"], environment: aws))
        #expect(again.status == 0, "\(again.stderr)")
        let report = try json(again.stdout)
        #expect((report["created"] as? [String])?.isEmpty == true && report["existing"] as? [String] == ["table \(table)"])
        // The throttle setting lives in the table too.
        #expect(try backfill(["throttle", "--store", url, "250"], environment: aws)?.status == 0)
        let shown = try json(try #require(try backfill(["throttle", "--store", url, "--format", "json"], environment: aws)).stdout)
        #expect(shown["max_write_units"] as? Int == 250 && shown["paused"] as? Bool == false)
    }

    @Test func throttleShowsSetsAndClears() throws {
        let dir = try Paths.temp("throttle-cli")
        let url = "sqlite:\(dir)/s.sqlite"
        guard let none = try backfill(["throttle", "--store", url]) else { return }
        #expect(none.status == 0 && none.stdout.contains("no write rate cap"), "\(none.stdout)\(none.stderr)")
        let set = try #require(try backfill(["throttle", "--store", url, "1500"]))
        #expect(set.status == 0 && set.stdout.contains("write rate cap 1500 write units/s"), "\(set.stdout)")
        let shown = try json(try #require(try backfill(["throttle", "--store", url, "--format", "json"])).stdout)
        #expect(shown["max_write_units"] as? Int == 1500 && shown["paused"] as? Bool == false && shown["set_at"] is String)
        let cleared = try #require(try backfill(["throttle", "--store", url, "--clear", "--format", "json"]))
        let after = try json(cleared.stdout)
        #expect(after["max_write_units"] is NSNull && after["set_at"] is NSNull)
    }

    @Test func badArgumentsAreUsageErrors() throws {
        guard let both = try backfill(["throttle", "--store", "sqlite:/tmp/x.sqlite", "5", "--clear"]) else { return }
        #expect(both.status == 64 && both.stderr.contains("--clear"))
        let word = try #require(try backfill(["throttle", "--store", "sqlite:/tmp/x.sqlite", "fast"]))
        #expect(word.status == 64)
        let zero = try #require(try backfill(["run", "/nonexistent.yaml", "--max-write-units", "0"]))
        #expect(zero.status == 64 && zero.stderr.contains("--max-write-units"))
        let unknown = try #require(try backfill(["store", "init", "mysql://x"]))
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown store URL"))
    }

    @Test(arguments: [["throttle"], ["store"], ["store", "init"]])
    func helpIsThere(_ command: [String]) throws {
        guard let r = try backfill(command + ["--help"]) else { return }
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: backfill \(command.joined(separator: " "))"), "\(r.stdout)")
    }
}
