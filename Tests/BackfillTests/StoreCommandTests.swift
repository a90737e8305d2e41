import Foundation
import TestSupport
import Testing
@testable import Backfill

/// `backfill store init` and `backfill throttle` as a user runs them: output, JSON, exit codes, help.
@Suite(.enabled(if: BackfillCLI.available, BackfillCLI.missingReason)) struct StoreCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func storeInitOnSQLiteCreatesThenReports() throws {
        let dir = try Paths.temp("store-init")
        let url = "sqlite:\(dir)/s.sqlite"
        let first = try BackfillCLI.run(["store", "init", url])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("SQLite \(dir)/s.sqlite: created file \(dir)/s.sqlite, table "), "\(first.stdout)")
        #expect(first.stdout.contains("table settings") && first.stdout.contains("schema version 0 -> "), "\(first.stdout)")
        let second = try json(try BackfillCLI.run(["store", "init", url, "--format", "json"]).stdout)
        #expect(second["kind"] as? String == "sqlite" && (second["created"] as? [String])?.isEmpty == true)
        #expect((second["existing"] as? [String])?.contains("table settings") == true)
        let version = second["schema_version"] as? [String: Int]
        #expect(version?["before"] == version?["after"] && (version?["after"] ?? 0) >= 3)
        let text = try BackfillCLI.run(["store", "init", url])
        #expect(text.stdout.contains("nothing to create"), "\(text.stdout)")
    }

    @Test(.enabled(if: TestEnvironment.hasDynamoDB, TestEnvironment.noDynamoDB))
    func storeInitOnDynamoDBCreatesTheTableThenReportsIt() throws {
        let endpoint = try #require(TestEnvironment.s3Endpoint)
        let aws = ["AWS_ACCESS_KEY_ID": TestEnvironment.s3AccessKey, "AWS_SECRET_ACCESS_KEY": TestEnvironment.s3SecretKey,
                   "AWS_REGION": "us-east-1"]
        let table = "bf-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let url = "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)"
        let first = try BackfillCLI.run(["store", "init", url], environment: aws)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("DynamoDB \(table): created table \(table)"), "\(first.stdout)")
        #expect(first.stdout.contains("PAY_PER_REQUEST") && first.stdout.contains("status ACTIVE"), "\(first.stdout)")
        let again = try BackfillCLI.run(["store", "init", url, "--format", "json"], environment: aws)
        #expect(again.status == 0, "\(again.stderr)")
        let report = try json(again.stdout)
        #expect((report["created"] as? [String])?.isEmpty == true && report["existing"] as? [String] == ["table \(table)"])
        // The throttle setting lives in the table too.
        #expect(try BackfillCLI.run(["throttle", "--store", url, "250"], environment: aws).status == 0)
        let shown = try json(try BackfillCLI.run(["throttle", "--store", url, "--format", "json"], environment: aws).stdout)
        #expect(shown["max_write_units"] as? Int == 250 && shown["paused"] as? Bool == false)
    }

    @Test func throttleShowsSetsAndClears() throws {
        let dir = try Paths.temp("throttle-cli")
        let url = "sqlite:\(dir)/s.sqlite"
        let none = try BackfillCLI.run(["throttle", "--store", url])
        #expect(none.status == 0 && none.stdout.contains("no write rate cap"), "\(none.stdout)\(none.stderr)")
        let set = try BackfillCLI.run(["throttle", "--store", url, "1500"])
        #expect(set.status == 0 && set.stdout.contains("write rate cap 1500 write units/s"), "\(set.stdout)")
        let shown = try json(try BackfillCLI.run(["throttle", "--store", url, "--format", "json"]).stdout)
        #expect(shown["max_write_units"] as? Int == 1500 && shown["paused"] as? Bool == false && shown["set_at"] is String)
        let cleared = try BackfillCLI.run(["throttle", "--store", url, "--clear", "--format", "json"])
        let after = try json(cleared.stdout)
        #expect(after["max_write_units"] is NSNull && after["set_at"] is NSNull)
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let both = try BackfillCLI.run(["throttle", "--store", "sqlite:/tmp/x.sqlite", "5", "--clear"])
        #expect(both.status == 64 && both.stderr.contains("--clear"))
        let word = try BackfillCLI.run(["throttle", "--store", "sqlite:/tmp/x.sqlite", "fast"])
        #expect(word.status == 64)
        let zero = try BackfillCLI.run(["run", "/nonexistent.yaml", "--max-write-units", "0"])
        #expect(zero.status == 64 && zero.stderr.contains("--max-write-units"))
        let unknown = try BackfillCLI.run(["store", "init", "mysql://x"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown store URL"))
    }

    @Test(arguments: [["throttle"], ["store"], ["store", "init"]])
    func helpIsThere(_ command: [String]) throws {
        let r = try BackfillCLI.run(command + ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: backfill \(command.joined(separator: " "))"), "\(r.stdout)")
    }
}
