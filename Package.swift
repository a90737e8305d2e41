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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "Datasets"),
        .target(name: "Aggregation"),
        .executableTarget(
            name: "backfill",
            dependencies: [
                "Parquet", "Compression", "Datasets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "Compression"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "AggregationTests", dependencies: ["Aggregation"]),
    ],
    swiftLanguageModes: [.v6]
)
