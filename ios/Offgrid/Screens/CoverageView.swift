import OffgridKit
import SwiftUI

/// Coverage of my grid cells this month.
struct CoverageView: View {
    @StateObject var model: CoverageModel

    var body: some View {
        ScreenFrame(model: model) { cells in
            List(cells, id: \.cell) { c in
                VStack(alignment: .leading) {
                    Text(c.name)
                    Text("✓ \(c.total.tasks.done) · \(c.total.tasks.due) · ✗ \(c.total.tasks.missed)").font(.caption)
                }
            }
        }
    }
}
