#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// Buffered writes to standard output (rows can number millions).
struct StandardOutput {
    private var buffer: [UInt8] = []
    init() { buffer.reserveCapacity(1 << 16) }
    mutating func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }
    mutating func line(_ s: String) {
        write(s)
        buffer.append(10)
    }
    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + done, raw.count - done)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    exit(errno == EPIPE ? 0 : 1)  // the reader went away (e.g. `| head`)
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Prints one clear error line and exits with 1.
func fail(_ error: Error) -> ExitCode {
    printError("backfill: error: \(error)")
    return ExitCode(1)
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, json, csv, table, text
}

/// Writes one line to standard error.
func printError(_ text: String) {
    let line = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
    line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress!, $0.count) }
}
