import OffgridKit
import SwiftUI

/// Inspections or hazards with a search field; the filters are the model's.
struct RecordListView: View {
    @StateObject var model: RecordListModel
    let gateway: Gateway
    @State private var text = ""

    var body: some View {
        ScreenFrame(model: model) { list in
            List(list.rows.map(\.record), id: \.id) { r in
                NavigationLink {
                    if model.kind == .hazards {
                        HazardView(model: HazardModel(gateway: gateway, id: r.id))
                    } else {
                        ChecklistView(model: ChecklistModel(gateway: gateway, id: r.id), gateway: gateway)
                    }
                } label: {
                    VStack(alignment: .leading) {
                        Text(r.title ?? "")
                        Text([r.site, r.status, r.grade].compactMap { $0 }.joined(separator: " · ")).font(.caption)
                    }
                }
            }
        }
        .searchable(text: $text)
        .onChange(of: text) { model.search($0) }
    }
}
