// Screen models through the bindings (issue 14), on the store's `screens()` sub-object: a hazard
// loop driven through the hazard screen and its commands, each user offered exactly their steps;
// the patrol run screen for the runner and for a supervisor; the home screen.
package offgrid.tests

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.offgrid_core.CaptureContext
import uniffi.offgrid_core.CheckMethod
import uniffi.offgrid_core.ChecklistCommand
import uniffi.offgrid_core.CheckpointKind
import uniffi.offgrid_core.Completion
import uniffi.offgrid_core.GridLevel
import uniffi.offgrid_core.GridMember
import uniffi.offgrid_core.GridRole
import uniffi.offgrid_core.HazardAction
import uniffi.offgrid_core.HazardCommand
import uniffi.offgrid_core.HazardStatus
import uniffi.offgrid_core.InspectionAction
import uniffi.offgrid_core.MissingKind
import uniffi.offgrid_core.NewInspection
import uniffi.offgrid_core.NewCheckpoint
import uniffi.offgrid_core.NewGridCell
import uniffi.offgrid_core.NewHazard
import uniffi.offgrid_core.NewPlan
import uniffi.offgrid_core.NewSite
import uniffi.offgrid_core.PatrolAction
import uniffi.offgrid_core.PhotoTarget
import uniffi.offgrid_core.RectificationOrder
import uniffi.offgrid_core.Recurrence
import uniffi.offgrid_core.RiskGrade
import uniffi.offgrid_core.ScanInput
import uniffi.offgrid_core.Schedule
import uniffi.offgrid_core.SiteKind
import uniffi.offgrid_core.TaskQuery
import uniffi.offgrid_core.User
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridScreensInterface

private fun jpeg(width: Int): ByteArray {
    val image = BufferedImage(width, 48, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until width) for (y in 0 until 48) image.setRGB(x, y, (x * 3 shl 16) or (y * 5 shl 8) or 0x20)
    return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
}

fun screensTests() {
    test("screens: the checklist runner shows visible items, what is missing, and who may submit") {
        withStore { _, s ->
            val screens = Coverage.track(OffgridScreensInterface::class.java, s.screens())
            s.setUser(inspector)
            val ins = s.createInspection(NewInspection(templateId = "shelter-safety-patrol", project = "p1", site = "B1"))
            var c = screens.checklist(ins)
            assertEquals(listOf(InspectionAction.ANSWER), c.allowedActions)
            val items = { sc: uniffi.offgrid_core.ChecklistScreen -> sc.sections.flatMap { it.items }.associateBy { it.id } }
            assertFalse("cooling-conduct" in items(c), "hidden until it applies")
            c = screens.checklistAnswer(ins, "cooling-shelter", "\"yes\"", null)
            assertTrue("cooling-conduct" in items(c))
            c = screens.checklistAnswer(ins, "exits-clear", "\"fail\"", "杂物堵塞")
            val exits = items(c).getValue("exits-clear")
            assertTrue(exits.failed)
            assertEquals(MissingKind.FAILURE_PHOTO, exits.missing)
            fails<OffgridException.InvalidArgument> { screens.checklistAnswer(ins, "exits-clear", "not json", null) }
            // Submitting before everything is answered is refused with what is missing;
            // reviewing a draft is not a step it has.
            fails<OffgridException.Incomplete> { screens.checklistCommand(ins, ChecklistCommand.Submit) }
            s.setUser(supervisor)
            fails<OffgridException.InvalidState> { screens.checklistCommand(ins, ChecklistCommand.Review(true, null)) }
        }
    }

    test("screens: a hazard loop through the hazard screen, each user offered their steps") {
        withStore { _, s ->
            val screens = Coverage.track(OffgridScreensInterface::class.java, s.screens())
            s.setUser(inspector)
            val id = s.raiseHazard(NewHazard("p1", "B1", "集水井", "排水泵故障", "水位高，泵不启动", null, false, listOf()))
            s.addPhoto(PhotoTarget.Hazard(id, false), jpeg(64), CaptureContext())
            var h = screens.hazard(id)
            assertEquals(listOf(HazardAction.GRADE, HazardAction.ESCALATE), h.allowedActions)
            assertEquals(1, h.beforePhotos.size)
            s.setUser(supervisor)
            h = screens.hazardCommand(id, HazardCommand.Grade(RiskGrade.ORANGE, false, null))
            assertEquals(listOf(HazardAction.GRADE, HazardAction.ORDER_RECTIFICATION, HazardAction.ESCALATE), h.allowedActions)
            val deadline = System.currentTimeMillis() + 7 * 86_400_000L
            h = screens.hazardCommand(id, HazardCommand.OrderRectification(RectificationOrder("物业", rectifier.id, rectifier.name, deadline, "检修排水泵")))
            assertEquals(HazardStatus.ORDERED, h.hazard.state.status)
            s.setUser(rectifier)
            h = screens.hazard(id)
            assertTrue(HazardAction.SUBMIT_RECTIFICATION in h.allowedActions)
            val after = s.addPhoto(PhotoTarget.Hazard(id, true), jpeg(80), CaptureContext())
            h = screens.hazardCommand(id, HazardCommand.SubmitRectification("已更换水泵", listOf(after.sha256)))
            assertEquals(listOf(after.sha256), h.afterPhotos.map { it.sha256 })
            // A step the screen does not offer is refused by the write too.
            fails<OffgridException.Forbidden> { screens.hazardCommand(id, HazardCommand.Reinspect(true, null)) }
            s.setUser(inspector)
            h = screens.hazardCommand(id, HazardCommand.Reinspect(true, null))
            assertEquals(listOf(HazardAction.ESCALATE, HazardAction.CLOSE), h.allowedActions)
            h = screens.hazardCommand(id, HazardCommand.Close(null))
            assertEquals(HazardStatus.CLOSED, h.hazard.state.status)
            assertTrue(h.allowedActions.isEmpty())
        }
    }

    test("screens: the patrol run screen for the runner and a supervisor; home") {
        withStore { _, s ->
            val screens = Coverage.track(OffgridScreensInterface::class.java, s.screens())
            s.setUser(admin)
            val city = s.grid().add(NewGridCell("3201", "南京市", GridLevel.CITY, null, null))
            val site = s.sites().add(NewSite("吉庆人防工程", "江东中路100号", SiteKind.DUAL_USE, "物业", city, null, listOf()))
            val door = s.sites().addCheckpoint(site, NewCheckpoint("出入口", CheckpointKind.ENTRANCE, listOf(CheckMethod.NFC)))
            s.sites().bindTag(site, door, "https://tag.example/t?uid=04AABBCCDD0010", CheckMethod.NFC)
            // A window open all day, every day.
            val schedule = Schedule(Recurrence.Day, listOf(0.toUShort()), 1440u, 0u, 480)
            val plan = s.patrols().addPlan(NewPlan("日常巡查", site, listOf(), null, schedule, false, listOf("u-li"), Completion.ANY, false))
            s.setUser(User("u-li", "李", listOf()))
            // Home lists li's tasks of the local day (+08:00), as the task query gives them.
            val local = System.currentTimeMillis() + 8 * 3_600_000L
            val day = local - local % 86_400_000L - 8 * 3_600_000L
            assertEquals(
                s.patrols().tasks(TaskQuery(day, day + 86_400_000L, "u-li", null, null)).map { it.id },
                screens.home().tasks.map { it.id },
            )
            val run = s.patrols().start(plan, null)
            var r = screens.patrolRun(run)
            assertEquals(door, r.nextCheckpoint?.id)
            assertEquals(
                listOf(PatrolAction.SCAN, PatrolAction.SKIP, PatrolAction.OBSERVE, PatrolAction.ANSWER, PatrolAction.PAUSE, PatrolAction.FINISH),
                r.allowedActions,
            )
            s.patrols().scan(run, ScanInput(CheckMethod.NFC, "https://tag.example/t?uid=04AABBCCDD0010", null, listOf(), null, null))
            r = screens.patrolRun(run)
            assertNull(r.nextCheckpoint)
            assertEquals(listOf(door), r.scanned)
            s.setUser(admin)
            r = screens.patrolRun(run)
            assertEquals(listOf(PatrolAction.VOID), r.allowedActions)
            assertFalse(r.run.skipNeedsApproval)
            assertEquals(admin.id, screens.home().user.id)
            // Coverage of my cells: li is a member of none yet, then of the city.
            s.setUser(User("u-li", "李", listOf()))
            assertTrue(screens.myCoverage(day, day + 86_400_000L).isEmpty())
            s.setUser(admin)
            s.grid().setMember(city, GridMember("u-li", "李", GridRole.MEMBER))
            s.setUser(User("u-li", "李", listOf()))
            assertEquals(listOf("3201"), screens.myCoverage(day, day + 86_400_000L).map { it.code })
            // The sync screen of a device never signed in: nothing offered, the records pending.
            val sync = screens.sync()
            assertFalse(sync.status.signedIn)
            assertFalse(sync.canSyncNow)
            assertTrue(sync.status.pendingRecords > 0u)
        }
    }
}
