// The app: one gateway; sync when coming to the foreground and in a BGAppRefreshTask (the core's
// sync service decides whether a run is due and backs off).
import BackgroundTasks
import OffgridKit
import SwiftUI

@main
struct OffgridApp: App {
    @Environment(\.scenePhase) private var phase
    private let gateway = Gateway()
    static let syncTask = "cn.offgrid.sync"

    init() {
        let gateway = self.gateway
        BGTaskScheduler.shared.register(forTaskWithIdentifier: Self.syncTask, using: nil) { task in
            Self.scheduleSync()
            let work = Task {
                _ = try? await gateway.call { store -> SyncState? in
                    let service = store.sync().service()
                    return service.due(nowMs: Int64(Date().timeIntervalSince1970 * 1000)) ? try service.run() : nil
                }
                task.setTaskCompleted(success: true)
            }
            task.expirationHandler = {
                work.cancel()
                Task { try? await gateway.call { $0.sync().service().cancel() } }
            }
        }
    }

    static func scheduleSync() {
        let request = BGAppRefreshTaskRequest(identifier: syncTask)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 30 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    var body: some Scene {
        WindowGroup {
            NavigationStack { HomeView(model: HomeModel(gateway: gateway), gateway: gateway) }
        }
        .onChange(of: phase) { phase in
            if phase == .active { SyncModel(gateway: gateway).syncNow() }
            if phase == .background { Self.scheduleSync() }
        }
    }
}
