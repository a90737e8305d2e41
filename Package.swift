// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Backfill",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "backfill", targets: ["backfill"]),
        .library(name: "Parquet", targets: ["Parquet"]),
        .library(name: "Compression", targets: ["Compression"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Aggregation", targets: ["Aggregation"]),
        .library(name: "StateStores", targets: ["StateStores"]),
        .library(name: "Backfill", targets: ["Backfill"]),
        .library(name: "AWS", targets: ["AWS"]),
        .library(name: "ObjectStore", targets: ["ObjectStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.20.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "Compression",
            dependencies: ["CZlib"]
        ),
        .target(
            name: "Parquet",
            dependencies: ["Compression"]
        ),
        .target(name: "Datasets", dependencies: ["Compression", "Parquet", "Aggregation"]),
        .target(name: "Aggregation"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(
            name: "StateStores",
            dependencies: ["CSQLite", "Aggregation", "AWS", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .systemLibrary(name: "CHints", path: "Sources/CHints"),
        .target(
            name: "Backfill",
            dependencies: ["Parquet", "Compression", "Datasets", "Aggregation", "StateStores", "AWS", "ObjectStore", "CHints", "Yams"]
        ),
        .executableTarget(
            name: "backfill",
            dependencies: [
                "Parquet", "Compression", "Datasets", "Backfill", "StateStores", "Aggregation", "ObjectStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "AWS",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ObjectStore",
            dependencies: [
                "AWS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CompressionTests", dependencies: ["TestSupport", "Compression"]),
        .testTarget(name: "ParquetTests", dependencies: ["TestSupport", "Parquet", "Compression"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["TestSupport", "Datasets", "Compression", "Parquet", "Aggregation"]),
        .testTarget(name: "AggregationTests", dependencies: ["TestSupport", "Aggregation"]),
        .testTarget(name: "AWSTests", dependencies: ["AWS", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(name: "ObjectStoreTests", dependencies: ["TestSupport", "AWS", "ObjectStore"]),
        .testTarget(name: "StateStoresTests", dependencies: ["TestSupport", "StateStores", "Aggregation", "AWS", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "BackfillTests", dependencies: ["TestSupport", "Backfill", "StateStores", "Aggregation", "Parquet", "Datasets", "AWS", "ObjectStore"]),
    ],
    swiftLanguageModes: [.v6]
)
