// The hazard closed loop through the bindings: raised (on its own and from a failed item),
// graded, ordered, rectified, sent back, rectified again, verified by someone else, closed;
// a major hazard written off by a supervisor; overdue and escalation; the register.
package offgrid.tests

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.HazardEventKind
import uniffi.offgrid_ffi.HazardStatus
import uniffi.offgrid_ffi.ListSort
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RectificationOrder
import uniffi.offgrid_ffi.RegisterQuery
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridStoreInterface
import uniffi.offgrid_ffi.parseTemplate

private const val DAY = 86_400_000L

/** A small real JPEG (the rectification's "after" photo), made with the JDK's ImageIO. */
private fun afterPhoto(): ByteArray {
    val image = BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until 64) for (y in 0 until 48) image.setRGB(x, y, (x * 4 shl 16) or (y * 5 shl 8) or 0x40)
    return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
}

/** Attaches an "after" photo to the hazard, then submits the rectification citing it. */
private fun rectify(s: OffgridStoreInterface, id: String, note: String) {
    val after = s.attach(PhotoTarget.Hazard(id, true), afterPhoto(), CaptureContext())
    assertEquals("rectification", after.stage)
    s.hazards.submitRectification(id, note, listOf(after.sha256))
}

fun hazardTests() {
    test("hazard loop: raise from item, grade, order, rectify, return, verify, close") {
        withStore { _, s ->
            s.setUser(admin)
            val t = parseTemplate(fixture("fire-patrol.json"))
            s.inspections.publishTemplate(t)
            s.setUser(inspector)
            val ins = s.inspections.create(NewInspection(templateId = t.id, project = "p1", site = "B2"))
            s.inspections.answer(ins, "exits-clear", "\"fail\"", "杂物堵塞")
            val found = s.attach(PhotoTarget.Inspection(ins, "exits-clear"), smallJpeg(7), CaptureContext())
            val id = s.hazards.createFromItem(ins, "exits-clear", "B2层东侧安全出口", "安全出口被杂物堵塞")
            var h = s.hazards.get(id)
            assertEquals(ins, h.source?.inspection)
            assertEquals("exits-clear", h.source?.item)
            assertEquals("GB 50098-2009", h.source?.clause?.standard)
            assertEquals(RiskGrade.ORANGE, h.state.grade)
            assertEquals(setOf(found.sha256), h.photos.keys)
            assertEquals("B2层东侧安全出口", h.location)

            s.hazards.grade(id, RiskGrade.YELLOW, false, "现场评估")
            assertEquals(HazardStatus.GRADED, s.hazards.get(id).state.status)
            fails<OffgridException.Forbidden> {
                s.hazards.orderRectification(id, RectificationOrder("施工单位", "u-li", "李师傅", System.currentTimeMillis() + DAY, "清理杂物"))
            }
            s.setUser(supervisor)
            s.hazards.orderRectification(id, RectificationOrder("某建设公司", "u-li", "李师傅", System.currentTimeMillis() + 3 * DAY, "清理杂物，设置警示标志"))
            h = s.hazards.get(id)
            assertEquals(HazardStatus.ORDERED, h.state.status)
            assertEquals("u-li", h.state.assignee)
            assertFalse(h.overdue)

            val early = fails<OffgridException.InvalidState> { s.hazards.reinspect(id, true, null) }
            assertEquals("ordered", early.state)

            s.setUser(rectifier)
            // The evidence must exist: a hash with no photo attached to the hazard is refused.
            val missing = fails<OffgridException.InvalidArgument> { s.hazards.submitRectification(id, "已清理", listOf(sha(8))) }
            assertContains(missing.reason, "not attached")
            rectify(s, id, "已清理")
            // The rectifier may not verify their own work.
            s.setUser(rectifier.copy(roles = rectifier.roles + inspector.roles))
            val own = fails<OffgridException.RuleViolation> { s.hazards.reinspect(id, true, null) }
            assertTrue(own.reason.isNotBlank())
            s.setUser(inspector)
            s.hazards.reinspect(id, false, "仍有杂物")
            assertEquals(HazardStatus.RETURNED, s.hazards.get(id).state.status)
            s.setUser(rectifier)
            rectify(s, id, "再次清理")
            s.setUser(inspector)
            s.hazards.reinspect(id, true, "通过")
            s.hazards.close(id, "销号")
            h = s.hazards.get(id)
            assertEquals(HazardStatus.CLOSED, h.state.status)
            val kinds = h.events.map { it.kind }
            assertTrue(kinds.first() is HazardEventKind.Raised)
            assertEquals(2, kinds.count { it is HazardEventKind.RectificationSubmitted })
            assertEquals(listOf(false, true), kinds.filterIsInstance<HazardEventKind.Reinspected>().map { it.passed })
            assertTrue(h.state.notApplied.isEmpty())
        }
    }

    test("a deadline picked as a date ends that day in the organisation's zone") {
        withStore { _, s ->
            assertEquals("Asia/Shanghai", s.timeZone())
            // 2025-03-18 24:00 in Beijing is 16:00 UTC: the deadline is the millisecond before.
            assertEquals(1_742_313_599_999L, s.deadlineOf("2025-03-18"))
            assertEquals(1_742_261_400_000L, s.deadlineOf("2025-03-18T09:30"))
            assertEquals("2025-03-18", s.localDate(s.deadlineOf("2025-03-18")))
            fails<OffgridException.InvalidArgument> { s.deadlineOf("18/03/2025") }
        }
    }

    test("major hazard: overdue, escalated, written off; register filters and counts") {
        withStore { _, s ->
            s.setUser(inspector)
            val ids = s.hazards.createMany(
                listOf(
                    NewHazard(project = "p1", site = "B2", location = "排风机房", title = "排风机异响", description = "轴承磨损"),
                    NewHazard(project = "p1", site = "B1", location = "防护密闭门", title = "密闭门胶条老化", description = "胶条开裂", grade = RiskGrade.BLUE),
                ),
            )
            assertEquals(2, ids.size)
            // Its photos are ones this device holds: a bare hash is refused, nothing raised.
            val raise = { photos: List<String> ->
                s.hazards.create(
                    NewHazard(project = "p1", site = "B2", location = "配电间", title = "配电箱进水", description = "渗水至配电箱", grade = RiskGrade.RED, major = true, photos = photos),
                )
            }
            val notHeld = fails<OffgridException.PhotoNotHeld> { raise(listOf(sha(3))) }
            assertEquals(sha(3), notHeld.sha256)
            assertEquals(2, s.hazards.register(RegisterQuery(project = "p1", sort = ListSort.UPDATED)).rows.size)
            val held = s.attach(PhotoTarget.Hazard(ids.first(), false), smallJpeg(3), CaptureContext())
            val major = raise(listOf(held.sha256))
            assertEquals(setOf(held.sha256), s.hazards.get(major).photos.keys)
            s.setUser(supervisor)
            // Ordered with a deadline already past: overdue at once.
            s.hazards.orderRectification(major, RectificationOrder("机电班组", "u-li", "李师傅", System.currentTimeMillis() - DAY, "断电、排水、更换配电箱"))
            assertTrue(s.hazards.get(major).overdue)
            s.hazards.escalate(major, "超期未整改，挂牌督办")
            assertEquals(1u, s.hazards.get(major).state.escalations)

            val overdue = s.hazards.register(RegisterQuery(project = "p1", overdue = true, sort = ListSort.DUE))
            assertEquals(listOf(major), overdue.rows.map { it.id })
            assertEquals(1u, overdue.overdue)
            val all = s.hazards.register(RegisterQuery(project = "p1", sort = ListSort.GRADE))
            assertEquals(3, all.rows.size)
            assertEquals(major, all.rows.first().id)
            assertEquals(1u, all.byGrade["red"])
            assertEquals(1u, all.byGrade["blue"])
            assertEquals(1u, all.byStatus["ordered"])
            val text = s.hazards.register(RegisterQuery(text = "配电", sort = ListSort.UPDATED))
            assertEquals(listOf(major), text.rows.map { it.id })
            val page = s.hazards.register(RegisterQuery(project = "p1", sort = ListSort.UPDATED, limit = 1u, offset = 1u))
            assertEquals(1, page.rows.size)
            assertEquals(3u, page.byStatus.values.sum())

            s.setUser(rectifier)
            rectify(s, major, "已更换配电箱并封堵渗漏点")
            s.setUser(inspector)
            s.hazards.reinspect(major, true, null)
            val notYours = fails<OffgridException.Forbidden> { s.hazards.writeOff(major, "核销") }
            assertEquals("write_off_hazard", notYours.permission)
            assertEquals("p1", notYours.project)
            assertContains(notYours.reason, "write_off_hazard")
            s.setUser(supervisor)
            s.hazards.writeOff(major, "验收合格，核销")
            assertEquals(HazardStatus.WRITTEN_OFF, s.hazards.get(major).state.status)
            assertFalse(s.hazards.get(major).overdue)
        }
    }
}
