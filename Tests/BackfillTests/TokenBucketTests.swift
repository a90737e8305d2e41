import Foundation
import Testing
@testable import Backfill

/// The write rate token bucket, on a fake clock: no sleeping, no timed assertions.
@Suite struct TokenBucketTests {
    @Test func startsFullThenReleasesAtTheRate() {
        let b = Box(rate: 100, burstSeconds: 1, now: 0)
        #expect(b.burst == 100)
        let first = b.reserve(100, now: 0)
        #expect(b.isReady(first, now: 0), "a full bucket grants its burst at once")
        let second = b.reserve(50, now: 0)
        #expect(!b.isReady(second, now: 0))
        #expect(b.secondsUntilReady(second) == 0.5)
        #expect(!b.isReady(second, now: 0.49))
        #expect(b.isReady(second, now: 0.5))
    }

    @Test func idleTimeBanksAtMostTheBurst() {
        let b = Box(rate: 10, burstSeconds: 2, now: 0)
        _ = b.reserve(20, now: 0)  // empties it
        let t = b.reserve(25, now: 1000)  // 1000 s idle, but only 20 banked
        #expect(!b.isReady(t, now: 1000))
        #expect(b.isReady(t, now: 1000.5))
    }

    @Test func requestsAreServedInOrder() {
        let b = Box(rate: 10, burstSeconds: 1, now: 0)
        _ = b.reserve(10, now: 0)
        let big = b.reserve(100, now: 0)
        let small = b.reserve(1, now: 0)
        #expect(!b.isReady(small, now: 5), "a small request does not overtake a big one queued before it")
        #expect(b.isReady(big, now: 10) && !b.isReady(small, now: 10))
        #expect(b.isReady(small, now: 10.1))
    }

    @Test func grantsNeverExceedBurstPlusRateTimesElapsed() {
        // Many requesters of varying sizes polling in turns: whatever the order, what was granted by time t is at most
        // burst + rate * t.
        var rng = SystemRandomNumberGenerator()
        let rate = 250.0
        let b = Box(rate: rate, burstSeconds: 1, now: 0)
        var waiting: [(ticket: Double, units: Int)] = []
        var granted = 0.0
        var now = 0.0
        var served = 0
        for step in 0..<20_000 {
            now += Double.random(in: 0...0.01, using: &rng)
            if waiting.count < 8 {
                let units = Int.random(in: 0...400, using: &rng)
                waiting.append((b.reserve(units, now: now), units))
            }
            if let i = waiting.indices.randomElement(using: &rng), b.isReady(waiting[i].ticket, now: now) {
                granted += Double(waiting[i].units)
                waiting.remove(at: i)
                served += 1
            }
            #expect(granted <= b.burst + rate * now + 1e-6, "step \(step): \(granted) units by t = \(now)")
        }
        #expect(served > 100, "requests kept being served (\(served))")
        #expect(granted > rate * now * 0.5, "the bucket did not starve its callers")
    }

    @Test func zeroPausesEvenEmptyRequestsAndResumes() {
        let b = Box(rate: 100, burstSeconds: 1, now: 0)
        b.setRate(0, now: 0)
        let nothing = b.reserve(0, now: 0)
        let some = b.reserve(10, now: 0)
        #expect(!b.isReady(nothing, now: 1e6) && !b.isReady(some, now: 1e6), "paused: nothing goes, however long")
        #expect(b.secondsUntilReady(some) == nil)
        b.setRate(100, now: 2e6)
        #expect(b.isReady(some, now: 2e6), "resumed with the allowance banked before the pause")
    }

    @Test func rateChangesApplyFromThen() {
        let b = Box(rate: 10, burstSeconds: 1, now: 0)
        _ = b.reserve(10, now: 0)
        let t = b.reserve(100, now: 0)
        #expect(!b.isReady(t, now: 5))  // 50 released at 10/s
        b.setRate(50, now: 5)
        #expect(!b.isReady(t, now: 5.9))
        #expect(b.isReady(t, now: 6))  // the other 50 at 50/s
        b.setRate(nil, now: 6)
        #expect(b.isReady(b.reserve(Int.max, now: 6), now: 6), "unlimited grants anything")
        b.setRate(1, now: 6)
        let after = b.reserve(1, now: 6)
        #expect(b.isReady(after, now: 6), "leaving unlimited starts with a full bucket, no debt")
    }

    @Test func hugeRequestsAndBackwardClocksAreHarmless() {
        let b = Box(rate: 1, burstSeconds: 1, now: 100)
        let huge = b.reserve(Int.max, now: 100)
        #expect(!b.isReady(huge, now: 1e9))
        #expect((b.secondsUntilReady(huge) ?? 0) > 1e15)
        b.cancel(Int.max, now: 1e9)
        #expect(b.available <= b.burst, "a cancelled request gives its units back, never more than a full bucket")
        let c = Box(rate: 1, burstSeconds: 1, now: 100)
        _ = c.reserve(1, now: 100)
        let next = c.reserve(1, now: 50)  // the clock stepped back
        #expect(!c.isReady(next, now: 60))
        #expect(c.isReady(next, now: 101))
        let d = Box(rate: 5, now: 0)
        let negative = d.reserve(-100, now: 0)
        #expect(d.isReady(negative, now: 0) && d.available == 5, "negative sizes count as 0")
    }
}

/// A token bucket behind a reference, so `#expect` can call its mutating methods.
final class Box {
    var bucket: TokenBucket
    init(rate: Double?, burstSeconds: Double = 1, now: Double) { bucket = TokenBucket(rate: rate, burstSeconds: burstSeconds, now: now) }
    var burst: Double { bucket.burst }
    var available: Double { bucket.available }
    func reserve(_ units: Int, now: Double) -> Double { bucket.reserve(units, now: now) }
    func isReady(_ ticket: Double, now: Double) -> Bool { bucket.isReady(ticket, now: now) }
    func secondsUntilReady(_ ticket: Double) -> Double? { bucket.secondsUntilReady(ticket) }
    func cancel(_ units: Int, now: Double) { bucket.cancel(units, now: now) }
    func setRate(_ rate: Double?, now: Double) { bucket.setRate(rate, now: now) }
}

/// A clock that only moves when a fake sleep moves it.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double = 0
    private(set) var sleeps = 0
    var onSleep: (@Sendable (Int) -> Void)?
    var now: Double { lock.withLock { t } }
    func sleep(_ seconds: Double) {
        let n: Int = lock.withLock {
            t += seconds
            sleeps += 1
            return sleeps
        }
        onSleep?(n)
    }
}

@Suite struct WriteRateLimiterTests {
    @Test func pacesOneCallerAtTheRate() async throws {
        let clock = FakeClock()
        let limiter = WriteRateLimiter(maxWriteUnits: 100, burstSeconds: 1, pollInterval: 0.25, clock: { clock.now }, sleep: { clock.sleep($0) })
        for _ in 0..<10 { try await limiter.acquire(100) }
        // 100 from the full bucket, then 900 at 100/s.
        #expect(clock.now >= 9 - 1e-9 && clock.now < 9.01, "took \(clock.now) s of fake time")
        #expect(limiter.totals.units == 1000)
        #expect(clock.sleeps >= 36, "slept in steps of at most the poll interval (\(clock.sleeps))")
    }

    @Test func unlimitedNeverWaits() async throws {
        let clock = FakeClock()
        let limiter = WriteRateLimiter(maxWriteUnits: nil, clock: { clock.now }, sleep: { clock.sleep($0) })
        for _ in 0..<100 { try await limiter.acquire(1_000_000) }
        #expect(clock.sleeps == 0 && limiter.effectiveRate == nil)
    }

    @Test func storeRateAndLocalCapTheSmallerApplies() {
        let limiter = WriteRateLimiter(maxWriteUnits: 500, clock: { 0 }, sleep: { _ in })
        #expect(limiter.effectiveRate == 500)
        limiter.setStoreRate(100)
        #expect(limiter.effectiveRate == 100)
        limiter.setStoreRate(1000)
        #expect(limiter.effectiveRate == 500)
        limiter.setStoreRate(0)
        #expect(limiter.effectiveRate == 0)
        limiter.setStoreRate(nil)
        #expect(limiter.effectiveRate == 500)
    }

    @Test func pausedCallersWaitUntilResumed() async throws {
        let clock = FakeClock()
        let limiter = WriteRateLimiter(maxWriteUnits: nil, pollInterval: 0.5, clock: { clock.now }, sleep: { clock.sleep($0) })
        limiter.setStoreRate(0)
        // The fake sleep resumes the limiter on the 20th wait (10 s of fake time).
        clock.onSleep = { n in if n == 20 { limiter.setStoreRate(nil) } }
        try await limiter.acquire(0)
        #expect(clock.sleeps == 20, "waited while paused, went on once resumed")
        #expect(abs(clock.now - 10) < 1e-6)
    }

    @Test func severalWorkersShareOneBucket() async throws {
        let clock = FakeClock()
        let rate = 200.0
        let limiter = WriteRateLimiter(maxWriteUnits: rate, burstSeconds: 1, pollInterval: 0.05, clock: { clock.now },
                                       sleep: { s in clock.sleep(s / 4); await Task.yield() })
        let grants = GrantLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in 0..<25 {
                        let units = 10 + (w * 7 + i * 13) % 90
                        try await limiter.acquire(units)
                        grants.add(at: clock.now, units: units)
                    }
                }
            }
            try await group.waitForAll()
        }
        let log = grants.sorted()
        #expect(log.count == 100)
        var total = 0.0
        for g in log {
            total += Double(g.units)
            #expect(total <= rate * 1 + rate * g.at + 1e-6, "\(total) units granted by t = \(g.at)")
        }
        #expect(limiter.totals.units == Int(total))
    }
}

final class GrantLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(at: Double, units: Int)] = []
    func add(at: Double, units: Int) { lock.withLock { items.append((at, units)) } }
    func sorted() -> [(at: Double, units: Int)] { lock.withLock { items.sorted { $0.at < $1.at } } }
}
