import Testing
@testable import Compression

@Test func moduleLoads() { #expect(true == true) }
