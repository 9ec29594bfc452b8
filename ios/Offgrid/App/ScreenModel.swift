// The base of every screen's observable model (Android: presentation/ScreenStateHolder.kt):
// loads the core's screen model, reloads when a change event concerns it, runs commands that
// return the refreshed model; refusals keep the screen and set `error`.
import Foundation
import OffgridKit

@MainActor
class ScreenModel<Screen>: ObservableObject {
    @Published private(set) var screen: Screen?
    @Published private(set) var busy = true
    @Published var error: OffgridError?

    let gateway: Gateway
    private let query: (OffgridStore) throws -> Screen
    private let concerns: (ChangeEvent) -> Bool
    private var watcher: Task<Void, Never>?

    init(gateway: Gateway, query: @escaping (OffgridStore) throws -> Screen, concerns: @escaping (ChangeEvent) -> Bool) {
        self.gateway = gateway
        self.query = query
        self.concerns = concerns
        watcher = Task { [weak self] in
            await self?.refresh()
            guard let changes = self?.gateway.changes() else { return }
            for await event in changes where self?.concerns(event) == true {
                await self?.refresh()
            }
        }
    }

    deinit { watcher?.cancel() }

    func refresh() async { await run(query) }

    /// Runs a command: `body` makes the library calls and returns the refreshed screen.
    func command(_ body: @escaping (OffgridStore) throws -> Screen) {
        Task { await run(body) }
    }

    private func run(_ body: @escaping (OffgridStore) throws -> Screen) async {
        busy = true
        defer { busy = false }
        do {
            screen = try await gateway.call(body)
            error = nil
        } catch let e as OffgridError {
            error = e
        } catch {
            self.error = .Internal(reason: "\(error)")
        }
    }
}
