// Many Kotlin threads calling one store at once: writes serialise on the one writer, reads run
// beside them, nothing is lost.
package offgrid.tests

import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.ListQuery
import uniffi.offgrid_ffi.ListSort
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.RecordKind
import uniffi.offgrid_ffi.parseTemplate

fun concurrencyTests() {
    test("8 threads x 60 calls: answers, hazards and lists at once") {
        withStore { _, s ->
            s.setUser(admin)
            val t = parseTemplate(fixture("fire-patrol.json"))
            s.inspections.publishTemplate(t)
            val inspections = (0 until 8).map {
                s.inspections.create(NewInspection(templateId = t.id, project = "p1", site = "B$it"))
            }
            val pool = Executors.newFixedThreadPool(8)
            val futures = (0 until 8).map { worker ->
                pool.submit<Int> {
                    var calls = 0
                    repeat(20) { round ->
                        s.inspections.answer(inspections[worker], "extinguishers", "${1.0 + round / 100.0}", "第${round}次读数")
                        s.hazards.create(NewHazard(project = "p1", site = "B$worker", location = "点位$round", title = "线程$worker-$round", description = "并发"))
                        val rows = s.list(ListQuery(kind = RecordKind.HAZARD, sort = ListSort.UPDATED, limit = 10u))
                        assertTrue(rows.size <= 10)
                        calls += 3
                    }
                    calls
                }
            }
            val calls = futures.sumOf { it.get(120, TimeUnit.SECONDS) }
            pool.shutdown()
            assertEquals(8 * 60, calls)
            assertEquals(160, s.list(ListQuery(kind = RecordKind.HAZARD, sort = ListSort.UPDATED)).size)
            for ((worker, id) in inspections.withIndex()) {
                val answer = s.inspections.get(id).answers["extinguishers"]
                assertEquals("1.19", answer?.value, "inspection of worker $worker")
                assertEquals("第19次读数", answer?.note)
            }
            assertEquals(listOf("ok"), s.verify().integrity)
        }
    }
}
