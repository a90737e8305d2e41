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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
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
        .target(name: "Datasets", dependencies: ["Compression"]),
        .target(name: "Aggregation"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(
            name: "StateStores",
            dependencies: ["CSQLite", "Aggregation", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(
            name: "Backfill",
            dependencies: ["Parquet", "Compression", "Datasets", "Aggregation", "StateStores", "Yams"]
        ),
        .executableTarget(
            name: "backfill",
            dependencies: [
                "Parquet", "Compression", "Datasets", "Backfill", "StateStores", "Aggregation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "Compression"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Compression"]),
        .testTarget(name: "AggregationTests", dependencies: ["Aggregation"]),
        .testTarget(name: "StateStoresTests", dependencies: ["StateStores", "Aggregation"]),
        .testTarget(name: "BackfillTests", dependencies: ["Backfill", "StateStores", "Aggregation", "Parquet", "Datasets"]),
    ],
    swiftLanguageModes: [.v6]
)
