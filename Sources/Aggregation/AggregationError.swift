/// The one error type of the Aggregation module: a human-readable message that names the
/// offending input (time zone, time text, duration, monoid name, mismatched partial, ...).
public struct AggregationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Thrown when an integer sum (or count) would leave the Int64 range. Sums never wrap.
    public static let overflow = AggregationError("integer overflow: the Int64 sum leaves the range of Int64")
}
