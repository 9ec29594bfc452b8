// The presentation layer against the real library: a whole inspection, a hazard loop and a
// patrol driven only through the state holders; a change on the store (a local write, or a
// colleague's work arriving by sync) updates the holders showing it; sync states flow; the
// library is never called on the main thread.
package offgrid.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.CheckMethod
import uniffi.offgrid_ffi.CheckpointKind
import uniffi.offgrid_ffi.Completion
import uniffi.offgrid_ffi.GridLevel
import uniffi.offgrid_ffi.HazardAction
import uniffi.offgrid_ffi.HazardCommand
import uniffi.offgrid_ffi.HazardStatus
import uniffi.offgrid_ffi.InspectionAction
import uniffi.offgrid_ffi.InspectionStatus
import uniffi.offgrid_ffi.NewCheckpoint
import uniffi.offgrid_ffi.NewGridCell
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.ListFilter
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.ReviewAction
import uniffi.offgrid_ffi.Draft
import uniffi.offgrid_ffi.NewObservation
import uniffi.offgrid_ffi.NewPlan
import uniffi.offgrid_ffi.NewSite
import uniffi.offgrid_ffi.PatrolAction
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RecordKind
import uniffi.offgrid_ffi.RectificationOrder
import uniffi.offgrid_ffi.Recurrence
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.ScanInput
import uniffi.offgrid_ffi.Schedule
import uniffi.offgrid_ffi.SiteKind
import uniffi.offgrid_ffi.SyncState
import uniffi.offgrid_ffi.User
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.parseTemplate

private val doorCheck = """
{"id": "door-check", "version": 1, "title": {"zh-CN": "防护门检查", "en": "Door check"},
 "purpose": "stage_inspection",
 "sections": [{"id": "s", "title": {"zh-CN": "门", "en": "Door"}, "items": [
   {"id": "seal", "type": "pass_fail", "text": {"zh-CN": "密封条完好", "en": "Seal intact"}},
   {"id": "hinge", "type": "pass_fail", "text": {"zh-CN": "铰页灵活", "en": "Hinges free"}}
 ]}]}
"""

private fun hazard(title: String, grade: RiskGrade? = null) =
    NewHazard("p1", "B1", "集水井", title, "水位高，泵不启动", grade, false, listOf())

/** A photo "taken": written to a capture path, then attached by path. */
private fun attach(store: OffgridStore, target: PhotoTarget, bytes: ByteArray, capture: CaptureContext) =
    store.photos().use { p -> p.capturePath().also { java.io.File(it).writeBytes(bytes) }.let { p.addCaptured(target, it, capture) } }

fun presentationTests() {
    test("a whole inspection through the checklist holder: answer, submit, return refused, review") {
        withDevice { d ->
            d.store.setUser(admin)
            d.store.inspections().publishTemplate(parseTemplate(doorCheck))
            d.store.setUser(inspector)
            val id = d.store.inspections().create(NewInspection(templateId = "door-check", project = "p1", site = "B1"))
            val checklist = ChecklistStateHolder(d.gateway, d.ui, id)
            var screen = checklist.awaitScreen("first load") { true }
            assertEquals(listOf(InspectionAction.ANSWER), screen.allowedActions)
            assertEquals(listOf("seal", "hinge"), screen.sections.single().items.map { it.id })
            checklist.answer("seal", "\"pass\"").join()
            checklist.answer("hinge", "\"fail\"", "铰页锈蚀").join()
            screen = checklist.state.value.screen!!
            assertTrue(screen.sections.single().items.single { it.id == "hinge" }.failed)
            assertEquals(listOf(InspectionAction.ANSWER, InspectionAction.SUBMIT), screen.allowedActions)
            // A bad answer is refused with a typed error; the screen stays as it was.
            checklist.answer("seal", "not json").join()
            assertEquals(ErrorKind.INVALID_INPUT, checklist.state.value.error?.kind)
            assertEquals(screen, checklist.state.value.screen)
            checklist.errorShown()
            assertNull(checklist.state.value.error)
            checklist.submit().join()
            assertEquals(InspectionStatus.SUBMITTED, checklist.state.value.screen!!.status)
            assertTrue(checklist.state.value.screen!!.allowedActions.isEmpty())
            d.store.setUser(supervisor)
            checklist.refresh().join()
            assertEquals(listOf(InspectionAction.REVIEW), checklist.state.value.screen!!.allowedActions)
            checklist.review(false, " ").join()
            assertEquals(ErrorKind.INVALID_INPUT, checklist.state.value.error?.kind)
            checklist.review(true, null).join()
            assertEquals(InspectionStatus.REVIEWED, checklist.state.value.screen!!.status)
            assertNull(checklist.state.value.error)
            checklist.close()
        }
    }

    test("review and sign-off through the review holder; a draft's field errors") {
        withDevice { d ->
            d.store.setUser(admin)
            d.store.inspections().publishTemplate(parseTemplate(doorCheck))
            d.store.setUser(inspector)
            val id = d.store.inspections().create(NewInspection(templateId = "door-check", project = "p1", site = "B1"))
            d.store.inspections().answer(id, "seal", "\"pass\"", null)
            d.store.inspections().answer(id, "hinge", "\"fail\"", "铰页锈蚀")
            val review = ReviewStateHolder(d.gateway, d.ui, id)
            val first = review.awaitScreen("the finding") { it.findings.size == 1 }
            assertEquals("hinge", first.findings.single().item)
            assertEquals(listOf(ReviewAction.SIGN, ReviewAction.SUBMIT), first.allowedActions)
            val pad = Photos.capturePath(d.gateway)
            java.io.File(pad).writeBytes(byteArrayOf(0x89.toByte(), 0x50, 0x4E, 0x47))
            review.sign(inspector.name, pad).join()
            assertEquals(inspector.name, review.state.value.screen!!.signatures.single().signatures.single().name)
            assertFalse(java.io.File(pad).exists(), "the pad's file is removed once stored")
            review.submit().join()
            assertEquals(InspectionStatus.SUBMITTED, review.state.value.screen!!.status)
            d.store.setUser(supervisor)
            review.refresh().join()
            review.returnToInspector(" ").join()
            assertEquals(ErrorKind.INVALID_INPUT, review.state.value.error?.kind)
            review.returnToInspector("补拍铰页照片").join()
            assertEquals(InspectionStatus.RETURNED, review.state.value.screen!!.status)
            assertNull(review.state.value.error)
            val blank = NewHazard("p1", "B1", "", "", "", null, false, listOf())
            assertEquals(listOf("title"), Forms.validate(d.gateway, Draft.Hazard(blank)).map { it.field })
            review.close()
        }
    }

    test("a hazard loop through the hazard holder, each user offered their steps, a refusal shown") {
        withDevice { d ->
            d.store.setUser(inspector)
            val id = d.store.hazards().create(hazard("排水泵故障"))
            val holder = HazardStateHolder(d.gateway, d.ui, id)
            var h = holder.awaitScreen("raised") { true }
            assertEquals(listOf(HazardAction.GRADE, HazardAction.ESCALATE), h.allowedActions)
            // The camera writes into the path the core hands out; the holder attaches it.
            val shot = Photos.capturePath(d.gateway)
            java.io.File(shot).writeBytes(samplePhoto())
            assertEquals(listOf(shot), Photos.leftovers(d.gateway))
            holder.attachPhoto(shot, rectification = false).join()
            assertEquals(1, holder.state.value.screen!!.beforePhotos.size)
            assertTrue(Photos.leftovers(d.gateway).isEmpty())
            d.store.setUser(supervisor)
            holder.perform(HazardCommand.Grade(RiskGrade.ORANGE, false, null)).join()
            val deadline = System.currentTimeMillis() + 7 * 86_400_000L
            holder.perform(HazardCommand.OrderRectification(RectificationOrder("物业", rectifier.id, rectifier.name, deadline, "检修排水泵"))).join()
            assertEquals(HazardStatus.ORDERED, holder.state.value.screen!!.hazard.state.status)
            d.store.setUser(rectifier)
            holder.refresh().join()
            h = holder.state.value.screen!!
            assertTrue(HazardAction.SUBMIT_RECTIFICATION in h.allowedActions)
            // A step not possible in this state is refused; the screen keeps what it showed.
            holder.perform(HazardCommand.Reinspect(true, null)).join()
            assertEquals(ErrorKind.INVALID_STATE, holder.state.value.error?.kind)
            assertEquals(HazardStatus.ORDERED, holder.state.value.screen!!.hazard.state.status)
            val after = attach(d.store, PhotoTarget.Hazard(id, true), samplePhoto().copyOf(samplePhoto().size).also { it[it.size - 3] = 7 }, CaptureContext())
            holder.perform(HazardCommand.SubmitRectification("已更换水泵", listOf(after.sha256))).join()
            h = holder.state.value.screen!!
            assertNull(holder.state.value.error)
            assertEquals(listOf(after.sha256), h.afterPhotos.map { it.sha256 })
            assertFalse(HazardAction.REINSPECT in h.allowedActions)
            // A step the screen does not offer this user is refused by the write too: the
            // rectifier cannot pass their own work.
            holder.perform(HazardCommand.Reinspect(true, null)).join()
            assertEquals(ErrorKind.FORBIDDEN, holder.state.value.error?.kind)
            assertEquals(HazardStatus.SUBMITTED, holder.state.value.screen!!.hazard.state.status)
            d.store.setUser(inspector)
            holder.perform(HazardCommand.Reinspect(true, null)).join()
            holder.perform(HazardCommand.Close(null)).join()
            h = holder.state.value.screen!!
            assertEquals(HazardStatus.CLOSED, h.hazard.state.status)
            assertTrue(h.allowedActions.isEmpty())
            holder.close()
        }
    }

    test("a patrol through the patrol run holder: next checkpoint, scan, observe, finish") {
        withDevice { d ->
            d.store.setUser(admin)
            val city = d.store.grid().use { it.add(NewGridCell("3201", "南京市", GridLevel.CITY, null, null)) }
            val (site, door) = d.store.sites().use { sites ->
                val site = sites.add(NewSite("吉庆人防工程", "江东中路100号", SiteKind.DUAL_USE, "物业", city, null, listOf()))
                val door = sites.addCheckpoint(site, NewCheckpoint("出入口", CheckpointKind.ENTRANCE, listOf(CheckMethod.NFC)))
                sites.bindTag(site, door, "https://tag.example/t?uid=04AABBCCDD0010", CheckMethod.NFC)
                site to door
            }
            val schedule = Schedule(Recurrence.Day, listOf(0.toUShort()), 1440u, 0u, 480)
            val li = User("u-li", "李", listOf())
            val plan = d.store.patrols().use { it.addPlan(NewPlan("日常巡查", site, listOf(), null, schedule, false, listOf(li.id), Completion.ANY, false)) }
            d.store.setUser(li)
            val run = d.store.patrols().use { it.start(plan, null) }
            val holder = PatrolRunStateHolder(d.gateway, d.ui, run)
            var r = holder.awaitScreen("started") { true }
            assertEquals(door, r.nextCheckpoint?.id)
            assertTrue(PatrolAction.SCAN in r.allowedActions)
            // A tag from another site does not count; the screen says so and keeps the door next.
            holder.scan(Scans.nfc("https://tag.example/t?uid=04FFFFFFFF0001", null)).join()
            assertEquals(door, holder.state.value.screen!!.nextCheckpoint?.id)
            holder.scan(Scans.nfc("https://tag.example/t?uid=04AABBCCDD0010", 1_000)).join()
            r = holder.state.value.screen!!
            assertNull(r.nextCheckpoint)
            assertEquals(listOf(door), r.scanned)
            val events = r.run.events.size
            holder.observe(NewObservation(door, "墙面渗水", RiskGrade.BLUE, listOf())).join()
            assertEquals(events + 1, holder.state.value.screen!!.run.events.size)
            holder.finish(null).join()
            r = holder.state.value.screen!!
            assertFalse(PatrolAction.SCAN in r.allowedActions)
            assertNull(holder.state.value.error)
            holder.close()
        }
    }

    test("a change on the store updates every holder showing it, and only those re-query") {
        withDevice { d ->
            d.store.setUser(inspector)
            val first = d.store.hazards().create(hazard("通风口堵塞", RiskGrade.YELLOW))
            d.store.setUser(rectifier)
            val home = HomeStateHolder(d.gateway, d.ui)
            val hazards = RecordListStateHolder(d.gateway, d.ui, ListKind.HAZARDS)
            val inspections = RecordListStateHolder(d.gateway, d.ui, ListKind.INSPECTIONS)
            val detail = HazardStateHolder(d.gateway, d.ui, first)
            home.awaitScreen("home") { it.myHazards.isEmpty() }
            hazards.awaitScreen("list") { it.rows.size == 1 }
            inspections.awaitScreen("no inspections") { it.rows.isEmpty() }
            val inspectionsBefore = inspections.state.value
            // Someone else's writes on this store (as a sync merge would make them).
            d.store.setUser(supervisor)
            val second = d.store.hazards().create(hazard("排水沟淤积", RiskGrade.ORANGE))
            val deadline = System.currentTimeMillis() + 86_400_000L
            d.store.hazards().orderRectification(first, RectificationOrder("物业", rectifier.id, rectifier.name, deadline, "清理"))
            // Switching the user is not a record change (no event): home may have re-queried for
            // the supervisor after the last write, so it is refreshed, as the app does after a
            // sign-in. The list and the detail below follow the events alone.
            d.store.setUser(rectifier)
            home.refresh().join()
            assertEquals(listOf(first), home.awaitScreen("ordered to li") { it.myHazards.isNotEmpty() }.myHazards.map { it.id })
            assertEquals(setOf(first, second), hazards.awaitScreen("two") { it.rows.size == 2 }.rows.map { it.record.id }.toSet())
            assertEquals(HazardStatus.ORDERED, detail.awaitScreen("ordered") { it.hazard.state.status == HazardStatus.ORDERED }.hazard.state.status)
            // The inspection list was not concerned: the very same state object.
            assertTrue(inspectionsBefore === inspections.state.value)
            // Filters: the list follows them, and later changes are filtered alike.
            hazards.filter(ListFilter(grade = "orange")).join()
            assertEquals(listOf(second), hazards.state.value.screen!!.rows.map { it.record.id })
            d.store.setUser(inspector)
            d.store.hazards().create(hazard("红色隐患", RiskGrade.RED))
            hazards.refresh().join()
            assertEquals(listOf(second), hazards.state.value.screen!!.rows.map { it.record.id })
            listOf(home, hazards, inspections, detail).forEach { it.close() }
        }
    }

    test("a colleague's work arrives by sync and updates the open screen; sync states flow") {
        withDevice { a ->
            withDevice { b ->
                a.store.sync().login(serverUrl(), "zhang", PASSWORD, "presentation A")
                b.store.sync().login(serverUrl(), "wang", PASSWORD, "presentation B")
                val syncA = SyncStateHolder(a.gateway, a.ui)
                val syncB = SyncStateHolder(b.gateway, b.ui)
                val seenA = java.util.Collections.synchronizedList(mutableListOf<SyncState>())
                val collector = CoroutineScope(SupervisorJob() + mainDispatcher)
                collector.launchCollect(syncA) { seenA.add(it) }
                val id = a.store.hazards().create(hazard("防护密闭门变形"))
                val hazardsB = RecordListStateHolder(b.gateway, b.ui, ListKind.HAZARDS)
                hazardsB.awaitScreen("B has not got it yet") { list -> list.rows.none { it.record.id == id } }
                syncA.syncNow().join()
                val idle = awaitState("A idle", syncA.state) { it is SyncState.Idle && it.lastSuccessMs != null } as SyncState.Idle
                assertTrue(idle.complete, "$idle")
                assertTrue(seenA.any { it is SyncState.Syncing }, "A's holder saw the sync running: $seenA")
                val screenA = awaitState("A's sync screen", syncA.screen) { it != null && it.status.lastSuccessMs != null }!!
                assertTrue(screenA.status.signedIn && screenA.canSyncNow, "$screenA")
                assertEquals(0uL, screenA.status.pendingRecords)
                syncB.syncNow().join()
                hazardsB.awaitScreen("B sees A's hazard") { list -> list.rows.any { it.record.id == id } }
                // B (a supervisor) grades it; A's open hazard screen follows after A syncs.
                val detailA = HazardStateHolder(a.gateway, a.ui, id)
                detailA.awaitScreen("A's detail") { it.hazard.state.grade == null }
                HazardStateHolder(b.gateway, b.ui, id).use { detailB ->
                    detailB.awaitScreen("B's detail") { HazardAction.GRADE in it.allowedActions }
                    detailB.perform(HazardCommand.Grade(RiskGrade.RED, false, "结构变形")).join()
                    assertNull(detailB.state.value.error)
                }
                syncB.syncNow().join()
                awaitState("B idle", syncB.state) { it is SyncState.Idle && it.complete }
                assertTrue(BackgroundSync.runIfDue(a.gateway) is SyncState.Idle)
                assertEquals(RiskGrade.RED, detailA.awaitScreen("graded on B") { it.hazard.state.grade != null }.hazard.state.grade)
                collector.cancel()
                listOf(syncA, syncB, hazardsB, detailA).forEach { it.close() }
            }
        }
    }

    test("sync needs a login first: the state says so and the background job does not retry") {
        withDevice { d ->
            val sync = SyncStateHolder(d.gateway, d.ui)
            sync.syncNow().join()
            val state = awaitState("needs login", sync.state) { it is SyncState.NeedsLogin }
            assertFalse(BackgroundSync.shouldRetry(state))
            assertFalse(awaitState("sync screen", sync.screen) { it != null }!!.canSyncNow)
            assertTrue(BackgroundSync.shouldRetry(SyncState.Offline("unreachable", 1u, 0)))
            sync.close()
        }
    }

    test("an encrypted gateway: the key given at first use, a crashed key change finished") {
        val path = java.nio.file.Files.createTempDirectory("offgrid-enc").resolve("offgrid.db").toString()
        val first = uniffi.offgrid_ffi.generateStoreKey()
        var asked = 0
        OffgridGateway.openEncrypted(path, 480, isTestMain) { _ -> asked++; first.copyOf() }.use { g ->
            assertTrue(runBlocking { g.call { it.isEncrypted() } })
            assertEquals(1, asked, "the key is asked for once, when the store opens")
        }
        // A key change the app was killed in: the holder of the keys sees old and pending,
        // and finishes it through the gateway before opening.
        val second = uniffi.offgrid_ffi.generateStoreKey()
        OffgridGateway.openEncrypted(path, 480, isTestMain) { rekey ->
            rekey(first.copyOf(), second.copyOf())
            second.copyOf()
        }.use { g -> assertTrue(runBlocking { g.call { it.isEncrypted() } }) }
        OffgridGateway.rekey(path, first, second) // asked again: already done
        assertFailsWith<uniffi.offgrid_ffi.OffgridException.WrongKey> {
            OffgridGateway.openEncrypted(path, 480, isTestMain) { _ -> first.copyOf() }.use { g ->
                runBlocking { g.call { it.path() } }
            }
        }
    }

    test("the library is never called on the main thread; a gateway on the main thread refuses") {
        // Every case above drove the holders from the test main thread through recording stores.
        assertTrue(libraryThreads.isNotEmpty())
        assertFalse("test-main" in libraryThreads, "library calls on: $libraryThreads")
        withDevice { d ->
            val onMain = OffgridGateway(d.store, io = mainDispatcher, mainThread = isTestMain)
            assertFailsWith<IllegalStateException> { onMain.call { it.path() } }
            onMain.close()
        }
    }
}

private fun CoroutineScope.launchCollect(holder: SyncStateHolder, each: (SyncState) -> Unit) =
    launch { holder.state.collect { s -> if (s != null) each(s) } }
