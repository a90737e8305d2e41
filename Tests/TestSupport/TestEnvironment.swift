import Foundation
import Testing

/// The servers and tools this machine offers tests, read from the environment that `scripts/test.sh` sets. A test
/// that needs one is gated with `.enabled(if: TestEnvironment.hasX, TestEnvironment.noX)`, so it is reported as
/// skipped with the reason when it is missing, never as passed.
public enum TestEnvironment {
    static let variables = ProcessInfo.processInfo.environment

    static func variable(_ name: String) -> String? {
        variables[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: PostgreSQL

    /// `BACKFILL_TEST_POSTGRES_URL`: a throwaway PostgreSQL database tests may write to.
    public static let postgresURL: String? = variable("BACKFILL_TEST_POSTGRES_URL")
    public static var hasPostgres: Bool { postgresURL != nil }
    public static let noPostgres: Comment =
        "BACKFILL_TEST_POSTGRES_URL not set (scripts/test.sh starts a throwaway cluster)"

    // MARK: S3 and DynamoDB (moto_server)

    /// `BACKFILL_TEST_S3_ENDPOINT`: moto_server, which serves S3 and DynamoDB.
    public static let s3Endpoint: String? = variable("BACKFILL_TEST_S3_ENDPOINT")
    /// `BACKFILL_TEST_S3_ACCESS_KEY` / `BACKFILL_TEST_S3_SECRET_KEY` (default "testing").
    public static let s3AccessKey: String = variable("BACKFILL_TEST_S3_ACCESS_KEY") ?? "testing"
    public static let s3SecretKey: String = variable("BACKFILL_TEST_S3_SECRET_KEY") ?? "testing"
    public static var hasS3: Bool { s3Endpoint != nil }
    public static let noS3: Comment = "BACKFILL_TEST_S3_ENDPOINT not set (scripts/test.sh starts moto_server)"
    /// DynamoDB runs on the same moto_server as S3.
    public static var hasDynamoDB: Bool { s3Endpoint != nil }
    public static let noDynamoDB: Comment =
        "BACKFILL_TEST_S3_ENDPOINT not set (scripts/test.sh starts moto_server, which serves DynamoDB)"

    // MARK: Python tools

    /// Whether `python3` can import every module in `modules`.
    public static func pythonImports(_ modules: [String]) -> Bool {
        (try? TestProcess.runOnPath(["python3", "-c", "import " + modules.joined(separator: ", ")]).status) == 0
    }

    /// python3 with pyarrow (and numpy), the reference Parquet reader and writer.
    public static let hasPyarrow: Bool = pythonImports(["pyarrow", "pyarrow.parquet", "numpy"])
    public static let noPyarrow: Comment = "python3 with pyarrow and numpy not found (scripts/test.sh installs them)"

    /// python3 with pyarrow and DuckDB, which correct page_views and compute its answers.
    public static let hasPyarrowAndDuckDB: Bool = pythonImports(["pyarrow", "duckdb"])
    public static let noPyarrowAndDuckDB: Comment =
        "python3 with pyarrow and duckdb not found (scripts/test.sh installs them)"
}

/// Skips the running case of a parameterized test when `condition` is false: the case is reported as skipped with
/// `reason`, never as passed. (`.enabled(if:)` decides for every argument of a test at once, so it cannot.)
public func skipCase(unless condition: Bool, _ reason: Comment) throws {
    if !condition { try Test.cancel(reason) }
}
