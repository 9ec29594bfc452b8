import OffgridKit
import SwiftUI

/// The checklist runner: sections, visible items, what is missing; submit and review.
struct ChecklistView: View {
    @StateObject var model: ChecklistModel
    let gateway: Gateway

    var body: some View {
        ScreenFrame(model: model) { screen in
            List {
                ForEach(screen.sections, id: \.id) { section in
                    Section(localized(section.title)) {
                        ForEach(section.items, id: \.id) { item in
                            HStack {
                                VStack(alignment: .leading) {
                                    Text(localized(item.text))
                                    if let clause = item.clauseText {
                                        Text(localized(clause)).font(.caption)
                                    }
                                }
                                Spacer()
                                if screen.allowedActions.contains(.answer), case .passFail = item.kind {
                                    Button("pass") { model.answer(item: item.id, valueJson: "\"pass\"") }
                                    Button("fail") { model.answer(item: item.id, valueJson: "\"fail\"") }
                                }
                            }
                        }
                    }
                }
                NavigationLink("review") { ReviewView(model: ReviewModel(gateway: gateway, id: model.id)) }
                if screen.allowedActions.contains(.submit) { Button("submit") { model.submit() } }
                if screen.allowedActions.contains(.review) { Button("accept") { model.review(accept: true, note: nil) } }
            }
            .navigationTitle(screen.title)
        }
    }
}
