// One observable model per screen, mirroring Android's presentation/Screens.kt: each names its
// query, the change events that concern it, and its commands. Every rule comes from the core.
import Foundation
import OffgridKit

@MainActor
final class HomeModel: ScreenModel<HomeScreen> {
    init(gateway: Gateway) {
        super.init(gateway: gateway, query: { try $0.screens().home() }, concerns: { !$0.topics.isEmpty })
    }
}

@MainActor
final class RecordListModel: ScreenModel<ListScreen> {
    enum Kind: String { case inspections, hazards }
    let kind: Kind
    private let filter: FilterBox

    init(gateway: Gateway, kind: Kind) {
        let record: RecordKind = kind == .hazards ? .hazard : .inspection
        let screenKind: ListScreenKind = kind == .hazards ? .hazards : .inspections
        let filter = FilterBox()
        self.kind = kind
        self.filter = filter
        super.init(
            gateway: gateway,
            query: { try $0.screens().list(kind: screenKind, filter: filter.current) },
            concerns: { $0.topics.contains(record) })
    }

    func search(_ text: String) {
        filter.update { $0.text = text.isEmpty ? nil : text; $0.page = 0 }
        Task { await refresh() }
    }

    func nextPage() {
        filter.update { $0.page += 1 }
        Task { await refresh() }
    }
}

/// The list's filter (the core's `ListFilter`), read by the query on the gateway's queue.
final class FilterBox: @unchecked Sendable {
    private let lock = NSLock()
    private var filter = ListFilter(project: nil, site: nil, status: nil, grade: nil, mine: false,
                                    overdue: false, text: nil, page: 0, pageSize: nil)
    var current: ListFilter { lock.withLock { filter } }
    func update(_ change: (inout ListFilter) -> Void) { lock.withLock { change(&filter) } }
}

@MainActor
final class ReviewModel: ScreenModel<ReviewScreen> {
    let id: RecordId
    init(gateway: Gateway, id: RecordId) {
        self.id = id
        super.init(gateway: gateway, query: { try $0.screens().review(id: id) }, concerns: { $0.records.contains(id) })
    }

    /// Signs with the pad's image written at `imagePath` (a capture path from the gateway).
    func sign(name: String, imagePath: String, item: String? = nil) {
        perform(.sign(item: item, name: name, imagePath: imagePath))
    }

    func submit() { perform(.submit) }
    func accept(note: String?) { perform(.accept(note: note)) }
    func returnToInspector(note: String) { perform(.return(note: note)) }

    private func perform(_ step: ReviewCommand) {
        let id = self.id
        command { try $0.screens().reviewCommand(id: id, command: step) }
    }
}

@MainActor
final class ChecklistModel: ScreenModel<ChecklistScreen> {
    let id: RecordId
    init(gateway: Gateway, id: RecordId) {
        self.id = id
        super.init(gateway: gateway, query: { try $0.screens().checklist(id: id) }, concerns: { $0.records.contains(id) })
    }

    func answer(item: String, valueJson: String, note: String? = nil) {
        let id = self.id
        command { try $0.screens().checklistAnswer(id: id, itemId: item, valueJson: valueJson, note: note) }
    }

    func submit() {
        let id = self.id
        command { try $0.screens().checklistCommand(id: id, command: .submit) }
    }

    func review(accept: Bool, note: String?) {
        let id = self.id
        command { try $0.screens().checklistCommand(id: id, command: .review(accept: accept, note: note)) }
    }
}

@MainActor
final class HazardModel: ScreenModel<HazardScreen> {
    let id: RecordId
    init(gateway: Gateway, id: RecordId) {
        self.id = id
        super.init(gateway: gateway, query: { try $0.screens().hazard(id: id) }, concerns: { $0.records.contains(id) })
    }

    func perform(_ step: HazardCommand) {
        let id = self.id
        command { try $0.screens().hazardCommand(id: id, command: step) }
    }
}

@MainActor
final class PatrolRunModel: ScreenModel<PatrolRunScreen> {
    let id: RecordId
    init(gateway: Gateway, id: RecordId) {
        self.id = id
        super.init(
            gateway: gateway, query: { try $0.screens().patrolRun(id: id) },
            concerns: { $0.records.contains(id) || $0.topics.contains(.patrolPlan) || $0.topics.contains(.site) })
    }

    func scan(_ input: ScanInput) {
        let id = self.id
        command { store in
            _ = try store.patrols().scan(run: id, scan: input)
            return try store.screens().patrolRun(id: id)
        }
    }

    func finish(reason: String?) {
        let id = self.id
        command { store in
            _ = try store.patrols().finish(run: id, reason: reason)
            return try store.screens().patrolRun(id: id)
        }
    }
}

@MainActor
final class CoverageModel: ScreenModel<[CellCoverage]> {
    init(gateway: Gateway, fromMs: Int64, toMs: Int64) {
        super.init(
            gateway: gateway, query: { try $0.screens().myCoverage(fromMs: fromMs, toMs: toMs) },
            concerns: { event in event.topics.contains { [.patrolRun, .patrolPlan, .site, .gridCell, .hazard].contains($0) } })
    }
}

/// The sync status screen: the core's sync service state; "sync now".
@MainActor
final class SyncModel: ObservableObject {
    @Published private(set) var state: SyncState?
    private let gateway: Gateway
    private var watcher: Task<Void, Never>?

    init(gateway: Gateway) {
        self.gateway = gateway
        watcher = Task { [weak self] in
            guard let states = self?.gateway.syncStates() else { return }
            for await state in states { self?.state = state }
        }
    }

    deinit { watcher?.cancel() }

    func syncNow() {
        Task { _ = try? await gateway.call { try $0.sync().service().run() } }
    }
}
