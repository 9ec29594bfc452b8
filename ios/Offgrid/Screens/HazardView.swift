import OffgridKit
import SwiftUI

/// A hazard: state, timeline, photos, one button per step the core allows this user.
struct HazardView: View {
    @StateObject var model: HazardModel

    var body: some View {
        ScreenFrame(model: model) { screen in
            List {
                Section { Text(screen.hazard.description) }
                Section {
                    ForEach(screen.hazard.events, id: \.id) { e in
                        VStack(alignment: .leading) { Text(e.byName); Text(e.note ?? "").font(.caption) }
                    }
                }
                ForEach(screen.allowedActions, id: \.self) { action in
                    // Steps needing input open their form, which builds the HazardCommand.
                    Button(LocalizedStringKey(hazardActionKey(action))) {
                        if action == .close { model.perform(.close(note: nil)) }
                    }
                }
            }
            .navigationTitle(screen.hazard.title)
        }
    }
}

func hazardActionKey(_ action: HazardAction) -> String {
    switch action {
    case .grade: return "hazard_grade"
    case .orderRectification: return "hazard_order"
    case .submitRectification: return "hazard_submit_rectification"
    case .reinspect: return "hazard_reinspect"
    case .escalate: return "hazard_escalate"
    case .close: return "hazard_close"
    case .writeOff: return "hazard_write_off"
    }
}
