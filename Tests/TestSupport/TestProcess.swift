import Foundation
import Testing

/// What a finished child process left: its exit status and everything it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Standard output parsed as one JSON value, nil when it is not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
}

/// Spawning programs from tests.
public enum TestProcess {
    /// Runs `executable` with `arguments` (and `environment` added to this process's) to its end. Output goes
    /// through files, not pipes, so a child that fills one stream while the test drains the other cannot hang.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("process-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessResult(status: p.terminationStatus,
                             stdout: try String(contentsOfFile: dir + "/out", encoding: .utf8),
                             stderr: try String(contentsOfFile: dir + "/err", encoding: .utf8))
    }

    /// Runs a program found on `PATH` (through `/usr/bin/env`).
    public static func runOnPath(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run("/usr/bin/env", arguments, environment: environment)
    }

    /// Starts `executable` without waiting; its output is discarded. The caller waits (`waitUntilExit`).
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> Process
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}

/// The built `backfill` executable, as a user runs it.
public enum BackfillCLI {
    /// The repository's root directory (this file is Tests/TestSupport/TestProcess.swift).
    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The executable `swift build` made, nil when there is none.
    public static let executable: String? = {
        for candidate in [".build/debug/backfill", ".build/x86_64-unknown-linux-gnu/debug/backfill",
                          ".build/aarch64-unknown-linux-gnu/debug/backfill", ".build/release/backfill"]
        {
            let p = repoRoot.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// Whether the executable exists (for `.enabled(if: BackfillCLI.available, BackfillCLI.missingReason)`).
    public static var available: Bool { executable != nil }
    public static let missingReason: Comment = "no built backfill executable (run `swift build` first)"

    /// Runs `backfill` with `arguments` to its end.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try TestProcess.run(try path(), arguments, environment: environment)
    }

    /// Starts `backfill` with `arguments` without waiting; its output is discarded.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        try TestProcess.start(try path(), arguments, environment: environment)
    }

    static func path() throws -> String {
        guard let executable else { throw TestSupportError("\(missingReason)") }
        return executable
    }
}

/// A test-support failure (a missing program, a bad test setup), with what went wrong.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
