import Foundation
import TestSupport
import Testing
@testable import Backfill

/// `replace`, `revert`, `lineage`, `boundary`, `verify`, `gc` and `status` as a user runs them: exit codes and JSON.
@Suite struct ReplaceCLITests {
    @Test(.enabled(if: TestEnvironment.hasPyarrowAndDuckDB && BackfillCLI.available, "needs python3 with pyarrow and duckdb, and a built backfill"))
    func correctionLifecycleFromTheCommandLine() throws {
        let dir = try Paths.temp("replace-cli")
        let source = try copyPageViews(to: dir, partitions: nil)
        let store = "sqlite:\(dir)/store.sqlite"
        let job = dir + "/job.yaml"
        try replaceConfig(source: source, store: store, pipeline: "page_views").write(toFile: job, atomically: true, encoding: .utf8)
        #expect(try BackfillCLI.run(["run", job, "--quiet"]).status == 0)
        try PythonTools.script(["correct", source, "9"])

        let refused = try BackfillCLI.run(["run", job, "--quiet"])
        #expect(refused.status == 1 && refused.stderr.contains("was rewritten") && refused.stderr.contains("backfill replace"))

        let dry = try BackfillCLI.run(["replace", job, "--from", "2026-05-09", "--to", "2026-05-10", "--dry-run", "--format", "json"])
        #expect(dry.status == 0)
        #expect((dry.json as? [String: Any])?["dry_run"] as? Bool == true)

        let replaced = try BackfillCLI.run(["replace", job, "--from", "2026-05-09", "--to", "2026-05-10", "--format", "json", "--quiet"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let first = (replaced.json as? [String: Any])?["replacement"] as? [String: Any]
        #expect(first?["state"] as? String == "completed" && first?["generation"] as? Int == 1)
        #expect((first?["rows_read"] as? Int ?? 0) > 0 && (first?["objects"] as? Int ?? 0) > 0)

        let equal = try BackfillCLI.run(["verify", job, "--format", "json"])
        #expect(equal.status == 0 && (equal.json as? [String: Any])?["equal"] as? Bool == true)

        let lineage = try BackfillCLI.run(["lineage", "--store", store, "--format", "json"])
        let entries = lineage.json as? [[String: Any]]
        #expect(lineage.status == 0 && entries?.count == 1)
        #expect(entries?.first?["from"] as? String == "2026-05-09T00:00:00Z" && entries?.first?["previous_generations"] as? [Int] == [0])
        #expect(entries?.first?["config_hash"] as? String != "" && entries?.first?["revertible"] as? Bool == true)

        #expect(try BackfillCLI.run(["revert", "--store", store]).status == 64, "a usage error: neither --replace nor --last")
        let reverted = try BackfillCLI.run(["revert", "--store", store, "--last", "--format", "json"])
        #expect(reverted.status == 0 && (reverted.json as? [String: Any])?["state"] as? String == "reverted")

        let differs = try BackfillCLI.run(["verify", job])
        #expect(differs.status == 1 && differs.stdout.contains("differ") && differs.stdout.contains("2026-05-09"))

        // Two more replacements of the day: generations 2 and 3; then gc drops what nothing can switch back to.
        #expect(try BackfillCLI.run(["replace", job, "--from", "2026-05-09", "--to", "2026-05-10", "--quiet"]).status == 0)
        #expect(try BackfillCLI.run(["replace", job, "--from", "2026-05-09T06:00:00Z", "--to", "2026-05-09T07:00:00Z", "--quiet"]).status == 0)
        let gc = try BackfillCLI.run(["gc", "--store", store, "--older-than", "0s", "--format", "json"])
        let dropped = gc.json as? [String: Any]
        #expect(gc.status == 0 && (dropped?["partial_rows"] as? Int ?? 0) > 0 && (dropped?["segment_generations"] as? Int ?? 0) >= 3)
        #expect(try BackfillCLI.run(["verify", job]).status == 0, "gc leaves what readers see unchanged")
        let tooLate = try BackfillCLI.run(["revert", "--store", store, "--last"])
        #expect(tooLate.status == 1 && tooLate.stderr.contains("gc removed"))
        let afterGC = try BackfillCLI.run(["lineage", "--store", store, "--format", "jsonl"])
        #expect(afterGC.stdout.split(separator: "\n").count == 3)

        #expect(try BackfillCLI.run(["boundary", "set", "--store", store, "--pipeline", "page_views", "2026-05-09T12:30:00Z"]).status == 0)
        let shown = try BackfillCLI.run(["boundary", "show", "--store", store, "--format", "json"])
        #expect((shown.json as? [String: String])?["page_views"] == "2026-05-09T12:30:00Z")
        #expect(try BackfillCLI.run(["boundary", "clear", "--store", store, "--pipeline", "page_views"]).status == 0)
        #expect(try BackfillCLI.run(["boundary", "show", "--store", store]).stdout.contains("no boundaries"))

        let status = try BackfillCLI.run(["status", "--store", store, "--limit", "50"])
        for kind in ["(run)", "(replace)", "(revert)", "(verify)", "(gc)"] { #expect(status.stdout.contains(kind), "status lists \(kind)") }

        for command in [["replace"], ["revert"], ["lineage"], ["boundary"], ["boundary", "set"], ["verify"], ["gc"]] {
            let help = try BackfillCLI.run(command + ["--help"])
            #expect(help.status == 0 && help.stdout.contains("USAGE"), "\(command) --help")
        }
    }
}
