#if AGGREGATION_BENCH
    // A rough speed check of BucketCalendar.bucketStart, run by hand in release (not a test; in
    // the test target this file compiles to nothing). From the package root:
    //
    //   mkdir -p /tmp/aggbench
    //   swiftc -O -wmo -parse-as-library -module-name Aggregation -emit-module \
    //     -emit-module-path /tmp/aggbench/Aggregation.swiftmodule -emit-library -static \
    //     -o /tmp/aggbench/libAggregation.a Sources/Aggregation/*.swift
    //   swiftc -O -parse-as-library -D AGGREGATION_BENCH -I /tmp/aggbench -L /tmp/aggbench \
    //     -lAggregation Tests/AggregationTests/BucketSpeedMain.swift -o /tmp/aggbench/bench
    //   /tmp/aggbench/bench
    //
    // It times 10M bucketStart calls on random instants (2000-2030) per zone and window and prints
    // ns/call (the best of 3 runs, in thread CPU time), plus a loop that only sums the
    // instants, for the loop's own cost; then per-row monoid folds.
    import Aggregation
    import Foundation

    @main
    struct BucketSpeed {
        static func main() throws {
            let n = 10_000_000
            var state: UInt64 = 42
            var instants = [Int64](repeating: 0, count: n)
            let lo: Int64 = 946_684_800_000  // 2000-01-01
            let span: Int64 = 946_080_000_000  // ~30 years
            for i in 0..<n {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                instants[i] = lo + Int64((z ^ (z >> 31)) % UInt64(span))
            }
            let baseline = time {
                var acc: Int64 = 0
                for t in instants { acc &+= t }
                return acc
            }
            print("loop only: \(format(baseline / Double(n))) ns/element")
            for zone in ["Australia/Sydney", "Australia/Sydney"] {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try BucketCalendar(timeZone: zone)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                print("BucketCalendar(timeZone: \"\(zone)\"): \(format(ms)) ms")
            }
            for zone in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
                let cal = try BucketCalendar(timeZone: zone)
                var line = zone.padding(toLength: 18, withPad: " ", startingAt: 0)
                for window in [WindowKind.minute, .hourly, .daily, .monthly] {
                    let seconds = time {
                        var acc: Int64 = 0
                        for t in instants { acc &+= cal.bucketStart(window, t) }
                        return acc
                    }
                    line += " \(window.rawValue) \(format(seconds / Double(n))) ns"
                }
                print(line)
            }
            // Out of the table range (2150-2180): the binary-search path.
            let far = instants.map { $0 + 4_733_510_400_000 }
            let berlin = try BucketCalendar(timeZone: "Europe/Berlin")
            let slow = time {
                var acc: Int64 = 0
                for t in far { acc &+= berlin.bucketStart(.daily, t) }
                return acc
            }
            print("Europe/Berlin daily, 2150-2180 (no table): \(format(slow / Double(n))) ns")

            // Per-row folds through Monoid.accumulate (one accumulator, 10M rows).
            let values = instants.map { ScalarValue.int($0 % 1_000_003) }
            let fewValues = instants.map { ScalarValue.int($0 % 50) }
            let cases: [(String, MonoidKind, [ScalarValue])] = [
                ("sum", .sum, values), ("count", .count, values), ("min", .min, values),
                ("last", .last, values), ("distinct (dense, ~1M distinct)", .distinct, values),
                ("distinct (sparse, 50 distinct)", .distinct, fewValues),
                ("topk(10) over 50 distinct", .topk(k: 10), fewValues),
                ("topk(10) over ~1M distinct", .topk(k: 10), values),
            ]
            for (name, kind, input) in cases {
                let monoid = Monoid(kind)
                let seconds = time {
                    var acc: PartialValue? = nil
                    for (i, v) in input.enumerated() { try! monoid.accumulate(into: &acc, v, millis: Int64(i)) }
                    return acc == nil ? 0 : 1
                }
                print("accumulate \(name): \(format(seconds / Double(n))) ns/row")
            }
            // The same through lift + combine(into:), for callers that fold lifted partials.
            for (name, kind, input) in cases where kind == .distinct || kind == .topk(k: 10) {
                let monoid = Monoid(kind)
                let seconds = time {
                    var acc = try! monoid.lift(input[0], millis: 0)
                    for v in input.dropFirst() { try! monoid.combine(into: &acc, try! monoid.lift(v, millis: 0)) }
                    return acc == .int(0) ? 0 : 1
                }
                print("lift + combine(into:) \(name): \(format(seconds / Double(n))) ns/row")
            }
        }

        /// Best of 3 runs, in nanoseconds of this thread's CPU time (steadier than wall-clock
        /// time on a machine shared with other work).
        static func time(_ body: () -> Int64) -> Double {
            var best = Double.infinity
            var sink: Int64 = 0
            for _ in 0..<3 {
                let start = threadCPUNanoseconds()
                sink &+= body()
                best = min(best, threadCPUNanoseconds() - start)
            }
            if sink == 42 { print("") }
            return best
        }

        static func threadCPUNanoseconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
        }

        static func format(_ x: Double) -> String {
            String(format: "%.2f", x)
        }
    }
#endif
