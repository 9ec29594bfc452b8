import OffgridKit
import SwiftUI

/// Review and sign-off: the failed items with their clause, the signatures, and sign / submit /
/// accept / return as the core allows. `onSign` opens a signature pad that writes the image to a
/// capture path and calls `model.sign`; no pad is built yet, so none is passed.
struct ReviewView: View {
    @StateObject var model: ReviewModel
    var onSign: (() -> Void)? = nil
    @State private var note = ""

    var body: some View {
        ScreenFrame(model: model) { screen in
            List {
                Section("findings") {
                    ForEach(screen.findings, id: \.item) { f in
                        VStack(alignment: .leading) {
                            Text(localized(f.text))
                            Text([f.valueText.map { localized($0) }, f.clauseText.map { localized($0) }, f.note]
                                .compactMap { $0 }.joined(separator: " · ")).font(.caption)
                        }
                    }
                }
                Section("signatures") {
                    ForEach(Array(screen.signatures.enumerated()), id: \.offset) { _, slot in
                        VStack(alignment: .leading) {
                            Text(slot.text.map { localized($0) } ?? "")
                            Text(slot.signatures.map(\.name).joined(separator: " · ")).font(.caption)
                        }
                    }
                }
                if screen.allowedActions.contains(.sign), let onSign { Button("sign") { onSign() } }
                if screen.allowedActions.contains(.submit) { Button("submit") { model.submit() } }
                if screen.allowedActions.contains(.return) {
                    TextField("note", text: $note)
                    Button("return_to_inspector") { model.returnToInspector(note: note) }
                }
                if screen.allowedActions.contains(.accept) {
                    Button("accept") { model.accept(note: note.isEmpty ? nil : note) }
                }
            }
            .navigationTitle(screen.title)
        }
    }
}
