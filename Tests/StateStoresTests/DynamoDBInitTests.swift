import AWS
import Foundation
import Testing
@testable import StateStores

/// `initialize()` on DynamoDB (moto): creates the table once, reports an existing one, refuses a foreign one; and the
/// client counts its write requests.
@Suite struct DynamoDBInitTests {
    static var enabled: Bool { StoreKind.dynamoDB != nil }

    func open(_ table: String) throws -> DynamoDBStateStore {
        let (endpoint, configuration) = StoreKind.dynamoDB!
        return try DynamoDBStateStore(url: "dynamodb://\(table)?region=us-east-1&endpoint=\(endpoint)", configuration: configuration)
    }

    @Test(.enabled(if: enabled)) func createsTheTableOnceThenReportsIt() async throws {
        let table = "bf-init-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try open(table)
        defer { Task { await store.close() } }
        let first = try await store.initialize()
        #expect(first.kind == "dynamodb" && first.target == table)
        #expect(first.created == ["table \(table)"] && first.existing.isEmpty)
        #expect(first.schemaVersionBefore == 0 && first.schemaVersion == 1)
        #expect(first.details.contains("key schema pk (S, HASH), sk (S, RANGE)"), "\(first.details)")
        #expect(first.details.contains("billing mode PAY_PER_REQUEST") && first.details.contains("status ACTIVE"), "\(first.details)")
        let second = try await open(table).initialize()
        #expect(second.created.isEmpty && second.existing == ["table \(table)"] && second.schemaVersionBefore == 1)
    }

    @Test(.enabled(if: enabled)) func aTableWithOtherKeysIsRefusedByName() async throws {
        let table = "bf-foreign-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try open(table)
        defer { Task { await store.close() } }
        _ = try await store.db.call("CreateTable", [
            "TableName": table, "AttributeDefinitions": [["AttributeName": "id", "AttributeType": "S"]],
            "KeySchema": [["AttributeName": "id", "KeyType": "HASH"]], "BillingMode": "PAY_PER_REQUEST",
        ])
        do {
            _ = try await store.initialize()
            Issue.record("a table keyed by id was accepted")
        } catch {
            #expect("\(error)".contains(table) && "\(error)".contains("id (S, HASH)") && "\(error)".contains("pk (S, HASH)"), "\(error)")
        }
    }

    @Test(.enabled(if: enabled)) func writeRequestsAreCounted() async throws {
        try await withStore(.dynamodb) { any in
            let store = try #require(any as? DynamoDBStateStore)
            let before = store.writeRequestsSent
            #expect(try await store.tryLease(url: "u", worker: "w", seconds: 60))  // PutItem
            try await store.renewLeases(urls: ["u"], worker: "w", seconds: 60)  // UpdateItem
            try await store.releaseLeases(urls: ["u"], worker: "w")  // DeleteItem
            _ = try await store.activeLeases()  // a read: not counted
            _ = try await store.writeRateLimit()  // a read
            #expect(store.writeRequestsSent - before == 3)
            let def = PipelineDefinition(name: "wr", monoid: .init(.sum), timeZone: "UTC")
            try await store.register([def])
            let afterRegister = store.writeRequestsSent
            // 250 partials: 3 transactions of ≤ 99 updates + chunk item, then 1 transaction of the 1 ledger item.
            try await store.commit(CommitBatch(runID: 1, pipelines: [partials(def, (0..<250).map { Entry("k\($0)", 0, .int(1)) }, intFast: true)],
                                               objects: [object("o", [def.name])]))
            #expect(store.writeRequestsSent - afterRegister == 4)
        }
    }

    @Test func transactionWriteUnitsCountItemsAndKilobytes() {
        let small: [String: Any] = ["Put": ["Item": ["pk": ["S": "a"], "sk": ["S": "b"]]]]
        let big: [String: Any] = ["Put": ["Item": ["pk": ["S": "a"], "b": ["B": String(repeating: "A", count: 4000)]]]]  // 3000 bytes
        let update: [String: Any] = ["Update": ["Key": ["pk": ["S": "p"], "sk": ["S": "s"]], "ExpressionAttributeValues": [":d": ["N": "5"]],
                                                "ExpressionAttributeNames": ["#i": "i"]]]
        #expect(DynamoDBStateStore.writeUnits([small]) == 2)
        #expect(DynamoDBStateStore.writeUnits([big]) == 6)
        #expect(DynamoDBStateStore.writeUnits([small, update, small]) == 6)
        #expect(DynamoDBStateStore.writeUnits([]) == 0)
    }
}
