import Foundation
import StateStores

/// A token bucket as plain arithmetic over times the caller passes in (seconds), so tests drive it with a fake clock.
///
/// Requests queue in order: `reserve(units, now:)` returns a ticket (the running total of units reserved, this
/// request's included) and `isReady(ticket, now:)` says whether the bucket has released that many units. The bucket
/// releases `rate` units per second and banks at most `burst` units while idle, so over any interval it grants at
/// most `burst + rate × elapsed` units, whatever the sizes of the requests; a request larger than the burst is not
/// refused or split, it waits until the allowance covers it. Rate 0 pauses (nothing becomes ready, not even 0
/// units); rate nil is unlimited. Nothing here allocates: sizes and rates only move two numbers.
public struct TokenBucket: Sendable {
    /// Units per second; nil: unlimited; 0: paused.
    public private(set) var rate: Double?
    /// Seconds of rate the bucket banks while idle (at least 1 unit).
    public let burstSeconds: Double
    /// Units reserved so far (all requests, queued or granted).
    private var reserved: Double = 0
    /// Units released so far by the passing of time (capped at `reserved + burst`).
    private var released: Double = 0
    private var last: Double

    public init(rate: Double?, burstSeconds: Double = 1, now: Double) {
        self.rate = rate.map { max(0, $0) }
        self.burstSeconds = max(burstSeconds, 0)
        last = now
        released = burst  // starts full
    }

    /// The most units the bucket banks.
    public var burst: Double {
        guard let rate else { return 0 }
        return max(rate * burstSeconds, 1)
    }

    /// Units available now without waiting (negative: owed to queued requests).
    public var available: Double { released - reserved }

    private mutating func advance(to now: Double) {
        guard now > last else { return }  // a clock that stands still or steps back releases nothing
        if let rate, rate > 0 {
            released = min(released + rate * (now - last), reserved + burst)
        }
        last = now
    }

    /// Queues a request for `units` (negative counts as 0) and returns its ticket.
    public mutating func reserve(_ units: Int, now: Double) -> Double {
        advance(to: now)
        reserved += Double(max(units, 0))
        return reserved
    }

    /// Whether the request holding `ticket` may go.
    public mutating func isReady(_ ticket: Double, now: Double) -> Bool {
        advance(to: now)
        guard let rate else { return true }
        return rate > 0 && released >= ticket
    }

    /// Seconds until `ticket` is ready at the current rate: 0 when unlimited, nil while paused.
    public func secondsUntilReady(_ ticket: Double) -> Double? {
        guard let rate else { return 0 }
        guard rate > 0 else { return nil }
        return max(0, (ticket - released) / rate)
    }

    /// Gives back the units of a request that will not be sent (its waiter was cancelled).
    public mutating func cancel(_ units: Int, now: Double) {
        advance(to: now)
        released = min(released + Double(max(units, 0)), reserved + burst)
    }

    /// Changes the rate from `now` on; what was released at the old rate stays released (at most the new burst).
    /// Leaving "unlimited" starts with a full bucket and no debt.
    public mutating func setRate(_ newRate: Double?, now: Double) {
        advance(to: now)
        let wasUnlimited = rate == nil
        rate = newRate.map { max(0, $0) }
        if wasUnlimited { released = reserved + burst }
        if rate != 0 { released = min(released, reserved + burst) }  // a pause keeps what was banked
    }
}

/// The token bucket every worker of one process shares: the effective rate is the smaller of the run's
/// `--max-write-units` and the store's setting (`backfill throttle`), which the runner polls. Stores call
/// `acquire(units)` before their writes (see `WritePacer`); waiters are served in order.
public final class WriteRateLimiter: WritePacer, @unchecked Sendable {
    public typealias Clock = @Sendable () -> Double
    public typealias Sleep = @Sendable (Double) async throws -> Void

    private let lock = NSLock()
    private var bucket: TokenBucket
    private var localCap: Double?
    private var storeCap: Double?
    private var unitsGranted = 0
    private var secondsWaited = 0.0
    private let clock: Clock
    private let sleep: Sleep
    /// Longest sleep between checks, so rate changes (and resuming from a pause) take effect promptly.
    let pollInterval: Double

    public static let systemClock: Clock = { Date().timeIntervalSince1970 }
    public static let taskSleep: Sleep = { seconds in try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9)) }

    /// - Parameter maxWriteUnits: this process's own cap (write units per second), nil for none.
    public init(maxWriteUnits: Double?, burstSeconds: Double = 1, pollInterval: Double = 0.1, clock: @escaping Clock = WriteRateLimiter.systemClock,
                sleep: @escaping Sleep = WriteRateLimiter.taskSleep) {
        self.clock = clock
        self.sleep = sleep
        self.pollInterval = max(pollInterval, 0.001)
        localCap = maxWriteUnits
        bucket = TokenBucket(rate: maxWriteUnits, burstSeconds: burstSeconds, now: clock())
    }

    private static func smaller(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        case let (x?, nil): return x
        case let (nil, y?): return y
        default: return nil
        }
    }

    /// Follows the store's setting (nil: none).
    public func setStoreRate(_ rate: Double?) {
        lock.withLock {
            guard rate != storeCap else { return }
            storeCap = rate
            bucket.setRate(Self.smaller(localCap, storeCap), now: clock())
        }
    }

    /// Units per second now in force: nil unlimited, 0 paused.
    public var effectiveRate: Double? { lock.withLock { bucket.rate } }

    /// Units granted so far and seconds callers spent waiting (summed over callers).
    public var totals: (units: Int, waited: Double) { lock.withLock { (unitsGranted, secondsWaited) } }

    public func acquire(_ units: Int) async throws {
        let started = clock()
        let ticket = lock.withLock { bucket.reserve(units, now: started) }
        while true {
            let (ready, wait): (Bool, Double?) = lock.withLock {
                let now = clock()
                if bucket.isReady(ticket, now: now) {
                    unitsGranted += max(units, 0)
                    secondsWaited += max(0, now - started)
                    return (true, 0)
                }
                return (false, bucket.secondsUntilReady(ticket))
            }
            if ready { return }
            do {
                try await sleep(min(max(wait ?? pollInterval, 0.001), pollInterval))
            } catch {
                lock.withLock { bucket.cancel(units, now: clock()) }
                throw error
            }
        }
    }
}
