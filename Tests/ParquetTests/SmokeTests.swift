import Testing
@testable import Parquet

@Test func int96SparkMicrosWraps() {
    let v = Int96(nanosOfDay: 0, julianDay: 2_440_588)
    #expect(v.sparkMicros == 0)
}
