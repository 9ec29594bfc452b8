// The one way the views reach the Offgrid library: blocking calls run on a serial queue, never on
// the main thread; change events and sync states arrive as AsyncStreams. Mirrors Android's
// presentation/Gateway.kt.
import Foundation
import OffgridKit

final class Gateway: @unchecked Sendable {
    private let queue = DispatchQueue(label: "offgrid.gateway", qos: .userInitiated)
    private lazy var store: OffgridStore = {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("offgrid", isDirectory: true)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let offset = Int32(TimeZone.current.secondsFromGMT() / 60)
        // Encrypted with the key kept in the Keychain (ADR 0012); a store from before encryption
        // is encrypted in place at this open.
        // Opening cannot be retried silently: a failure here is shown by every screen's error.
        let path = dir.appendingPathComponent("offgrid.db").path
        return try! OffgridStore.openEncrypted(
            path: path, utcOffsetMinutes: offset, key: try! StoreKeys.storeKey(dbPath: path))
    }()

    /// Runs `body` against the store on the gateway's queue.
    func call<T>(_ body: @escaping (OffgridStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                dispatchPrecondition(condition: .notOnQueue(.main))
                continuation.resume(with: Result { try body(self.store) })
            }
        }
    }

    /// Every change event of the store while the stream is iterated.
    func changes() -> AsyncStream<ChangeEvent> {
        AsyncStream { continuation in
            let listener = StreamListener(continuation)
            queue.async {
                let subscription = try? self.store.subscribe(listener: listener)
                continuation.onTermination = { _ in subscription?.cancel() }
            }
        }
    }

    /// The sync service's states, starting with the current one.
    func syncStates() -> AsyncStream<SyncState> {
        AsyncStream { continuation in
            queue.async {
                let service = self.store.sync().service()
                continuation.yield(service.state())
                let id = service.observe(listener: SyncListener(continuation))
                continuation.onTermination = { _ in service.unobserve(id: id) }
            }
        }
    }
}

private final class StreamListener: ChangeListener {
    let continuation: AsyncStream<ChangeEvent>.Continuation
    init(_ continuation: AsyncStream<ChangeEvent>.Continuation) { self.continuation = continuation }
    func onChange(event: ChangeEvent) { continuation.yield(event) }
}

private final class SyncListener: SyncStateListener {
    let continuation: AsyncStream<SyncState>.Continuation
    init(_ continuation: AsyncStream<SyncState>.Continuation) { self.continuation = continuation }
    func onState(state: SyncState) { continuation.yield(state) }
}
