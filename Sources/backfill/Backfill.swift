import ArgumentParser

@main
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Rebuild derived data from history: read Spark/warehouse Parquet and JSON Lines, fold, commit exactly once.",
        discussion: """
            Exit codes: 0 success; 1 bad input or a failed operation (the message names the file and place); \
            64 a usage error.
            """,
        subcommands: [DemoCommand.self, RunCommand.self, PlanCommand.self, StatusCommand.self, QueryCommand.self, ReplaceCommand.self, RevertCommand.self, LineageCommand.self, BoundaryCommand.self, VerifyCommand.self, GCCommand.self, CatCommand.self, SchemaCommand.self, ProfileCommand.self,
                      StoreCommand.self, ThrottleCommand.self]
    )

    static func main() async {
        MemoryTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
