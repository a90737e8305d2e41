import Foundation
import Testing
@testable import Backfill

/// The executable as a user runs it: exit codes, JSON output, help on every command.
@Suite struct CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func backfill(_ args: [String]) throws -> Result? {
        guard let exe = Paths.executable else {
            print("skipping CLI test: no built backfill executable (run `swift build` first)")
            return nil
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func demoThenRerunThenPlanStatusAndQuery() throws {
        let dir = try Paths.temp("cli")
        guard let demo = try backfill(["demo", "--dir", dir, "--rows", "20000"]) else { return }
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("objects 96 committed"))
        #expect(demo.stdout.contains("rows 20000 read, 0 rejected"))
        let rerun = try backfill(["run", dir + "/backfill.yaml", "--format", "json"])!
        #expect(rerun.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as! [String: Any]
        let objects = summary["objects"] as! [String: Any]
        #expect(objects["committed"] as? Int == 0)
        #expect(objects["already_done"] as? Int == 96)
        let plan = try backfill(["plan", dir + "/backfill.yaml", "--format", "json"])!
        let planJSON = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as! [String: Any]
        #expect(planJSON["done"] as? Int == 96)
        #expect(planJSON["pending"] as? Int == 0)
        let status = try backfill(["status", "--store", "sqlite:\(dir)/backfill.sqlite", "--format", "json"])!
        let runs = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any])["runs"] as! [[String: Any]]
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0["status"] as? String == "succeeded" })
        let lifetime = try backfill(["query", "--store", "sqlite:\(dir)/backfill.sqlite", "--pipeline", "page_views", "--window", "lifetime", "--format", "jsonl"])!
        let total = lifetime.stdout.split(separator: "\n").reduce(0) { sum, line in
            sum + ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? Int ?? 0)
        }
        let daily = try backfill(["query", "--store", "sqlite:\(dir)/backfill.sqlite", "--pipeline", "page_views", "--window", "daily", "--trailing", "7d", "--format", "jsonl"])!
        let trailingTotal = daily.stdout.split(separator: "\n").reduce(0) { sum, line in
            sum + ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? Int ?? 0)
        }
        #expect(total > 0)
        #expect(trailingTotal == total, "a trailing 7-day window over 2 days of data equals the lifetime sum")
    }

    @Test func badInputExitsOneWithOneLine() throws {
        guard let r = try backfill(["cat", Paths.shared.appendingPathComponent("conformance/parquet/bad_data/PARQUET-1481.parquet").path]) else { return }
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("backfill: error: ") && r.stderr.contains("PARQUET-1481.parquet"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let usage = try backfill(["query", "--store", "sqlite:/tmp/none.sqlite"])!
        #expect(usage.status == 64)
    }

    @Test(arguments: ["demo", "run", "plan", "status", "query", "cat", "schema", "profile"])
    func everyCommandHasHelp(_ command: String) throws {
        guard let r = try backfill([command, "--help"]) else { return }
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: backfill \(command)"))
    }
}
