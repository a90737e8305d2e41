import Foundation
import TestSupport
import Testing
@testable import Backfill

/// The executable as a user runs it: exit codes, JSON output, help on every command.
@Suite(.enabled(if: BackfillCLI.available, BackfillCLI.missingReason)) struct CLITests {
    @Test func demoThenRerunThenPlanStatusAndQuery() throws {
        let dir = try Paths.temp("cli")
        let demo = try BackfillCLI.run(["demo", "--dir", dir, "--rows", "20000"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("objects 96 committed"))
        #expect(demo.stdout.contains("rows 20000 read, 0 rejected"))
        let rerun = try BackfillCLI.run(["run", dir + "/backfill.yaml", "--format", "json"])
        #expect(rerun.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as! [String: Any]
        let objects = summary["objects"] as! [String: Any]
        #expect(objects["committed"] as? Int == 0)
        #expect(objects["already_done"] as? Int == 96)
        let plan = try BackfillCLI.run(["plan", dir + "/backfill.yaml", "--format", "json"])
        let planJSON = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as! [String: Any]
        #expect(planJSON["done"] as? Int == 96)
        #expect(planJSON["pending"] as? Int == 0)
        let status = try BackfillCLI.run(["status", "--store", "sqlite:\(dir)/backfill.sqlite", "--format", "json"])
        let runs = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any])["runs"] as! [[String: Any]]
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0["status"] as? String == "succeeded" })
        let lifetime = try BackfillCLI.run(["query", "--store", "sqlite:\(dir)/backfill.sqlite", "--pipeline", "page_views", "--window", "lifetime", "--format", "jsonl"])
        let total = lifetime.stdout.split(separator: "\n").reduce(0) { sum, line in
            sum + ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? Int ?? 0)
        }
        let daily = try BackfillCLI.run(["query", "--store", "sqlite:\(dir)/backfill.sqlite", "--pipeline", "page_views", "--window", "daily", "--trailing", "7d", "--format", "jsonl"])
        let trailingTotal = daily.stdout.split(separator: "\n").reduce(0) { sum, line in
            sum + ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? Int ?? 0)
        }
        #expect(total > 0)
        #expect(trailingTotal == total, "a trailing 7-day window over 2 days of data equals the lifetime sum")
    }

    @Test func badInputExitsOneWithOneLine() throws {
        let r = try BackfillCLI.run(["cat", Paths.shared.appendingPathComponent("conformance/parquet/bad_data/PARQUET-1481.parquet").path])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("backfill: error: ") && r.stderr.contains("PARQUET-1481.parquet"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let usage = try BackfillCLI.run(["query", "--store", "sqlite:/tmp/none.sqlite"])
        #expect(usage.status == 64)
    }

    @Test(arguments: ["demo", "run", "plan", "status", "query", "cat", "schema", "profile"])
    func everyCommandHasHelp(_ command: String) throws {
        let r = try BackfillCLI.run([command, "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: backfill \(command)"))
    }
}
