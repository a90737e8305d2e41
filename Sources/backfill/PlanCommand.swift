import ArgumentParser
import Backfill

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would read: partitions, objects, bytes, and how many are already committed. Writes nothing.")

    @Argument(help: "The YAML config file.")
    var config: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard format == .text || format == .json else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        do {
            let job = try JobConfig.load(path: config)
            let store = try StoreURL.open(job.store)
            try await store.migrate()
            let resolver = SourceResolver()
            defer { Task { await resolver.shutdown() } }
            let plan = try await RunPlan.make(config: job, store: store, sources: resolver)
            var out = StandardOutput()
            defer { out.flush() }
            if format == .json {
                let objects = plan.objects.map { o in
                    "{\"url\": \(jsonQuote(o.file.path)), \"bytes\": \(o.file.size), \"version\": \(jsonQuote(o.version)), \"state\": \"\(o.state.rawValue)\", \"pipelines\": [\(o.pipelines.map(jsonQuote).joined(separator: ", "))]}"
                }
                out.line("{\"partitions\": \(plan.partitions), \"objects\": \(plan.objects.count), \"bytes\": \(plan.bytes), \"pending\": \(plan.pending.count), \"done\": \(plan.done), \"conflicts\": \(plan.conflicts.count), \"files\": [\(objects.joined(separator: ", "))]}")
                return
            }
            out.line("source: \(job.source.url) (\(job.source.format.rawValue))\(job.source.partitions.map { ", partitions: \($0)" } ?? "")")
            out.line("partitions: \(plan.partitions), objects: \(plan.objects.count), bytes: \(plan.bytes)")
            out.line("pending: \(plan.pending.count) (\(plan.pending.reduce(0) { $0 + $1.file.size }) bytes), already committed: \(plan.done), conflicts: \(plan.conflicts.count)")
            for c in plan.conflicts { out.line("conflict: \(c.file.path) changed since it was committed; use `backfill replace`") }
            if plan.conflicts.count > 0 { throw ExitCode(1) }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw fail(error)
        }
    }
}
