import OffgridKit
import SwiftUI

/// The sync state in words, with "sync now".
struct SyncView: View {
    @StateObject var model: SyncModel

    var body: some View {
        VStack(spacing: 16) {
            switch model.state {
            case .none: ProgressView()
            case .idle(_, let records, let photos, _): Text("sync_pending \(records) \(photos)")
            case .syncing: ProgressView("sync_running")
            case .offline(let message, _, _): Text("sync_offline \(message)")
            case .needsLogin: Text("sync_needs_login")
            case .error(let message, _, _): Text("sync_error \(message)")
            }
            Button("sync_now") { model.syncNow() }
        }
    }
}
