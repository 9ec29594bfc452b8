// Pieces every view shares: busy and error frame, localised labels of the core's enums
// (Localizable.strings in zh-Hans, the development language, and en).
import OffgridKit
import SwiftUI

struct ScreenFrame<Screen, Content: View>: View {
    @ObservedObject var model: ScreenModel<Screen>
    @ViewBuilder let content: (Screen) -> Content

    var body: some View {
        VStack {
            if model.busy { ProgressView() }
            if let screen = model.screen { content(screen) }
        }
        .alert(
            Text(LocalizedStringKey(errorTitle(model.error))),
            isPresented: Binding(get: { model.error != nil }, set: { if !$0 { model.error = nil } })
        ) {
            Button("ok") { model.error = nil }
        } message: {
            Text(model.error?.localizedDescription ?? "")
        }
    }
}

func errorTitle(_ error: OffgridError?) -> String {
    switch error {
    case .NotFound: return "error_not_found"
    case .Forbidden, .RuleViolation: return "error_forbidden"
    case .InvalidState: return "error_invalid_state"
    case .Incomplete: return "error_incomplete"
    case .InvalidArgument, .InvalidAnswer, .UnknownItem, .CheckpointMismatch: return "error_invalid_input"
    case .NoCurrentUser: return "error_no_user"
    case .Network, .ServerRefused, .Unauthorized, .NotSignedIn: return "error_network"
    case .Closed, .Storage, .Corrupt, .NotADatabase: return "error_storage"
    default: return "error_internal"
    }
}

func localized(_ text: LocalizedText) -> String {
    Locale.current.language.languageCode?.identifier == "en" ? text.en : text.zh
}
