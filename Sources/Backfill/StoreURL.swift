import Foundation
import StateStores

/// Store URLs as the jobs and the CLI use them: every URL resolves through `StoreRegistry` (StateStores).
public enum StoreURL {
    /// The store `url` names, not yet migrated (`Runner` migrates the store it runs on); see `StoreRegistry.backend`.
    public static func open(_ url: String) throws -> any StateStore { try StoreRegistry.backend(url) }

    /// Opens the store `url` names for `access` (see `StoreRegistry.open`): read-write creates and migrates it,
    /// read-only never creates, migrates or writes it.
    public static func open(_ url: String, access: StoreAccess) async throws -> any StateStore {
        try await StoreRegistry.open(url, access: access)
    }

    /// `url` with any password replaced by `***` (`postgres://user:***@host/db`), for messages and logs.
    public static func redacted(_ url: String) -> String { StoreRegistry.redacted(url) }
}
