import OffgridKit
import SwiftUI

/// A patrol run: the next checkpoint (tap its NFC tag or scan its QR code), progress, flags.
struct PatrolRunView: View {
    @StateObject var model: PatrolRunModel
    @StateObject private var nfc = NfcScanner()

    var body: some View {
        ScreenFrame(model: model) { screen in
            List {
                Section {
                    Text(screen.nextCheckpoint?.name ?? String(localized: "patrol_all_covered"))
                    Text("\(screen.scanned.count) / \(screen.run.checkpoints.count)")
                }
                ForEach(screen.skipped, id: \.skip) { s in Text(s.checkpoint + " · " + s.reason) }
                if screen.allowedActions.contains(.scan) {
                    Button("patrol_scan") { nfc.begin { uri in model.scan(ScanInput(method: .nfc, payload: uri, checkpoint: nil, photos: [], monotonicMs: nil, gps: nil)) } }
                }
                if screen.allowedActions.contains(.finish) {
                    Button("patrol_finish") { model.finish(reason: nil) }
                }
            }
            .navigationTitle(screen.run.title)
        }
    }
}
