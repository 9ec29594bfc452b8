import OffgridKit
import SwiftUI

/// Today's patrol tasks, my hazards, overdue hazards, open inspections, the sync line.
struct HomeView: View {
    @StateObject var model: HomeModel
    let gateway: Gateway

    var body: some View {
        ScreenFrame(model: model) { home in
            List {
                Section("home_tasks") {
                    ForEach(home.tasks, id: \.id) { Text($0.planTitle) }
                }
                Section("home_my_hazards") {
                    ForEach(home.myHazards, id: \.id) { h in
                        NavigationLink(h.title ?? "") { HazardView(model: HazardModel(gateway: gateway, id: h.id)) }
                    }
                }
                Section("home_overdue") {
                    ForEach(home.overdueHazards, id: \.id) { h in
                        NavigationLink(h.title ?? "") { HazardView(model: HazardModel(gateway: gateway, id: h.id)) }
                    }
                }
                Section("home_open_inspections") {
                    ForEach(home.openInspections, id: \.id) { i in
                        NavigationLink(i.title ?? "") { ChecklistView(model: ChecklistModel(gateway: gateway, id: i.id), gateway: gateway) }
                    }
                }
                NavigationLink("sync_now") { SyncView(model: SyncModel(gateway: gateway)) }
                NavigationLink("home_hazard_list") { RecordListView(model: RecordListModel(gateway: gateway, kind: .hazards), gateway: gateway) }
                NavigationLink("home_coverage") {
                    CoverageView(model: CoverageModel(gateway: gateway, fromMs: Self.monthStartMs(), toMs: Int64(Date().timeIntervalSince1970 * 1000) + 1))
                }
            }
        }
    }

    static func monthStartMs() -> Int64 {
        let start = Calendar.current.dateInterval(of: .month, for: Date())?.start ?? Date()
        return Int64(start.timeIntervalSince1970 * 1000)
    }
}
