import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Counters shared by workers; a terminal line with objects, rows, rows/s and ETA.
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private let totalObjects: Int
    private let totalBytes: Int64
    private var objects = 0
    private var rows = 0
    private var bytes: Int64 = 0
    private let start = Date()
    private let enabled: Bool
    private var lastLength = 0

    init(totalObjects: Int, totalBytes: Int64, enabled: Bool) {
        self.totalObjects = totalObjects
        self.totalBytes = totalBytes
        self.enabled = enabled
    }

    /// True when standard error is a terminal.
    static var isTerminal: Bool { isatty(2) == 1 }

    func addRows(_ n: Int) {
        lock.lock()
        rows += n
        lock.unlock()
    }

    func objectDone(bytes b: Int64) {
        lock.lock()
        objects += 1
        bytes += b
        lock.unlock()
    }

    func render() {
        guard enabled else { return }
        lock.lock()
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(rows) / elapsed
        var eta = "?"
        if bytes > 0, totalBytes > bytes {
            let remaining = elapsed * Double(totalBytes - bytes) / Double(bytes)
            eta = Progress.duration(remaining)
        } else if bytes >= totalBytes {
            eta = "0s"
        }
        let line = "objects \(objects)/\(totalObjects)  rows \(Progress.count(rows))  \(Progress.count(Int(rate)))/s  ETA \(eta)"
        let pad = max(0, lastLength - line.count)
        lastLength = line.count
        lock.unlock()
        let text = "\r" + line + String(repeating: " ", count: pad)
        text.withCString { _ = write(2, $0, strlen($0)) }
    }

    func finish() {
        guard enabled else { return }
        render()
        _ = "\n".withCString { write(2, $0, 1) }
    }

    static func count(_ n: Int) -> String {
        if n >= 10_000_000 { return "\(n / 1_000_000)M" }
        if n >= 10_000 { return "\(n / 1000)k" }
        return String(n)
    }

    static func duration(_ s: Double) -> String {
        if s < 60 { return "\(Int(s.rounded(.up)))s" }
        if s < 3600 { return "\(Int(s) / 60)m\(Int(s) % 60)s" }
        return "\(Int(s) / 3600)h\(Int(s) % 3600 / 60)m"
    }
}
