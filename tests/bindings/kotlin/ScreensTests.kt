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
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.InspectionStatus
import uniffi.offgrid_ffi.ReviewCommand
import uniffi.offgrid_ffi.ReviewAction
import uniffi.offgrid_ffi.PatrolCommand
import uniffi.offgrid_ffi.ListScreenKind
import uniffi.offgrid_ffi.ListFilter
import uniffi.offgrid_ffi.FieldProblem
import uniffi.offgrid_ffi.FieldError
import uniffi.offgrid_ffi.Draft
import uniffi.offgrid_ffi.CheckMethod
import uniffi.offgrid_ffi.ChecklistCommand
import uniffi.offgrid_ffi.CheckpointKind
import uniffi.offgrid_ffi.Completion
import uniffi.offgrid_ffi.GridLevel
import uniffi.offgrid_ffi.GridMember
import uniffi.offgrid_ffi.GridRole
import uniffi.offgrid_ffi.HazardAction
import uniffi.offgrid_ffi.HazardCommand
import uniffi.offgrid_ffi.HazardStatus
import uniffi.offgrid_ffi.InspectionAction
import uniffi.offgrid_ffi.MissingKind
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.NewCheckpoint
import uniffi.offgrid_ffi.NewGridCell
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewPlan
import uniffi.offgrid_ffi.NewSite
import uniffi.offgrid_ffi.PatrolAction
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RectificationOrder
import uniffi.offgrid_ffi.Recurrence
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.ScanInput
import uniffi.offgrid_ffi.Schedule
import uniffi.offgrid_ffi.SiteKind
import uniffi.offgrid_ffi.TaskQuery
import uniffi.offgrid_ffi.User
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.parseTemplate
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
            val ins = s.inspections.create(NewInspection(templateId = "shelter-safety-patrol", project = "p1", site = "B1"))
            var c = screens.checklist(ins)
            assertEquals(listOf(InspectionAction.ANSWER), c.allowedActions)
            val items = { sc: uniffi.offgrid_ffi.ChecklistScreen -> sc.sections.flatMap { it.items }.associateBy { it.id } }
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
            val id = s.hazards.create(NewHazard("p1", "B1", "集水井", "排水泵故障", "水位高，泵不启动", null, false, listOf()))
            s.attach(PhotoTarget.Hazard(id, false), jpeg(64), CaptureContext())
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
            val after = s.attach(PhotoTarget.Hazard(id, true), jpeg(80), CaptureContext())
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

    test("screens: lists, review and sign-off, field errors of drafts, patrol commands") {
        withStore { _, s ->
            val screens = Coverage.track(OffgridScreensInterface::class.java, s.screens())
            s.setUser(admin)
            s.inspections.publishTemplate(parseTemplate(signedDoorCheck))
            s.setUser(inspector)
            // Field errors before saving, and the same refusal if a save slips past.
            val blank = NewHazard("p1", "B1", "", "", "", null, false, listOf())
            assertEquals(
                listOf(FieldError("title", FieldProblem.Required)),
                screens.validateDraft(Draft.Hazard(blank)),
            )
            val refused = fails<OffgridException.InvalidFields> { s.hazards.create(blank) }
            assertEquals(listOf("title"), refused.fields.map { it.field })
            val late = RectificationOrder("物业", "", "", 0, "整改")
            assertEquals(
                listOf(FieldError("person", FieldProblem.Required), FieldError("deadline_ms", FieldProblem.InPast)),
                screens.validateDraft(Draft.RectificationOrder(late)),
            )
            // The hazard list: pages, chips, create offered to an inspector.
            for (t in listOf("渗水", "照明", "通风")) s.hazards.create(NewHazard("p1", "B1", "B1", t, "", null, false, listOf()))
            val page = screens.list(ListScreenKind.HAZARDS, ListFilter(pageSize = 2u))
            assertEquals(3u, page.total)
            assertEquals(2, page.rows.size)
            assertTrue(page.hasMore && page.canCreate)
            assertEquals(3u, page.statuses.single { it.status == "raised" }.count)
            fails<OffgridException.InvalidArgument> { screens.list(ListScreenKind.INSPECTIONS, ListFilter(status = "ordered")) }
            // Review and sign-off: the failure with its clause, the signature from the pad.
            val id = s.inspections.create(NewInspection(templateId = "signed-door-check", project = "p1", site = "B1"))
            screens.checklistAnswer(id, "seal", "\"fail\"", "密封条老化")
            var r = screens.review(id)
            assertEquals("4.2.1", r.findings.single().clause?.clause)
            // Shown as text by the core, not formatted again here.
            assertEquals("不合格", r.findings.single().valueText?.zh)
            assertTrue(r.findings.single().clauseText!!.zh.endsWith("第4.2.1条"))
            assertEquals(listOf(ReviewAction.SIGN), r.allowedActions)
            val pad = s.photos.capturePath()
            java.io.File(pad).writeBytes(byteArrayOf(0x89.toByte(), 0x50, 0x4E, 0x47))
            r = screens.reviewCommand(id, ReviewCommand.Sign("sign", inspector.name, pad))
            assertFalse(java.io.File(pad).exists(), "the pad's file is removed once stored")
            assertEquals(inspector.id, r.signatures.single().signatures.single().userId)
            r = screens.reviewCommand(id, ReviewCommand.Submit)
            s.setUser(supervisor)
            assertEquals(listOf(ReviewAction.ACCEPT, ReviewAction.RETURN), screens.review(id).allowedActions)
            r = screens.reviewCommand(id, ReviewCommand.Return("补拍照片"))
            assertEquals(InspectionStatus.RETURNED, r.status)
            s.setUser(inspector)
            screens.reviewCommand(id, ReviewCommand.Submit)
            s.setUser(supervisor)
            assertEquals(InspectionStatus.REVIEWED, screens.reviewCommand(id, ReviewCommand.Accept(null)).status)
            // A leftover capture the user does not want is discarded; nothing else is.
            val unwanted = s.photos.capturePath()
            java.io.File(unwanted).writeBytes(jpeg(32))
            assertEquals(listOf(unwanted), s.photos.leftoverCaptures())
            s.photos.discardCapture(unwanted)
            assertTrue(s.photos.leftoverCaptures().isEmpty())
            fails<OffgridException.InvalidArgument> { s.photos.discardCapture(s.path()) }
            // A patrol driven by commands: the scan's verdict comes back on the screen.
            s.setUser(admin)
            val city = s.grid().add(NewGridCell("3202", "镇江市", GridLevel.CITY, null, null))
            val site = s.sites().add(NewSite("东山人防工程", "东山街道", SiteKind.DUAL_USE, "物业", city, null, listOf()))
            val door = s.sites().addCheckpoint(site, NewCheckpoint("出入口", CheckpointKind.ENTRANCE, listOf(CheckMethod.NFC)))
            s.sites().bindTag(site, door, "https://tag.example/t?uid=04AABBCCDD0020", CheckMethod.NFC)
            val schedule = Schedule(Recurrence.Day, listOf(0.toUShort()), 1440u, 0u, 480)
            val plan = s.patrols().addPlan(NewPlan("夜间巡查", site, listOf(), null, schedule, false, listOf("u-li"), Completion.ANY, false))
            s.setUser(User("u-li", "李", listOf()))
            val run = s.patrols().start(plan, null)
            val tag = { uid: String -> PatrolCommand.Scan(ScanInput(CheckMethod.NFC, "https://tag.example/t?uid=$uid", null, listOf(), null, null)) }
            var p = screens.patrolCommand(run, tag("04FFFFFFFFFFFF"))
            assertFalse(p.lastScan!!.verdict.counts)
            p = screens.patrolCommand(run, tag("04AABBCCDD0020"))
            assertTrue(p.lastScan!!.verdict.counts)
            assertEquals(listOf(door), p.scanned)
            p = screens.patrolCommand(run, PatrolCommand.Finish(null))
            assertTrue(p.allowedActions.isEmpty())
        }
    }
}

private val signedDoorCheck = """
{"id": "signed-door-check", "version": 1, "title": {"zh-CN": "防护门检查", "en": "Door check"},
 "purpose": "stage_inspection",
 "sections": [{"id": "s", "title": {"zh-CN": "门", "en": "Door"}, "items": [
   {"id": "seal", "type": "pass_fail", "text": {"zh-CN": "密封条完好", "en": "Seal intact"},
    "clause": {"standard": "GB 50134-2004", "clause": "4.2.1"}},
   {"id": "sign", "type": "signature", "text": {"zh-CN": "检查人签字", "en": "Inspector signs"}, "weight": 0}
 ]}]}
"""
