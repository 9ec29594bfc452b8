// Grid patrols through the bindings (ADR 0008), on the store's `patrols()` sub-object: a plan and
// its next version, a grid member's run with scans judged and kept, a skip a supervisor
// approves, an observation raised once as a hazard, pause/resume/finish, a void, tomorrow's
// tasks derived from the plan; typed errors for what the rules refuse.
package offgrid.tests

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CheckMethod
import uniffi.offgrid_ffi.CheckpointKind
import uniffi.offgrid_ffi.Completion
import uniffi.offgrid_ffi.CoverageQuery
import uniffi.offgrid_ffi.GridLevel
import uniffi.offgrid_ffi.NewCheckpoint
import uniffi.offgrid_ffi.NewGridCell
import uniffi.offgrid_ffi.NewObservation
import uniffi.offgrid_ffi.NewPlan
import uniffi.offgrid_ffi.NewSite
import uniffi.offgrid_ffi.ProjectRole
import uniffi.offgrid_ffi.Recurrence
import uniffi.offgrid_ffi.Role
import uniffi.offgrid_ffi.RunEventKind
import uniffi.offgrid_ffi.RunStatus
import uniffi.offgrid_ffi.ScanFlag
import uniffi.offgrid_ffi.ScanInput
import uniffi.offgrid_ffi.Schedule
import uniffi.offgrid_ffi.SiteKind
import uniffi.offgrid_ffi.TaskQuery
import uniffi.offgrid_ffi.TaskState
import uniffi.offgrid_ffi.TrackPoint
import uniffi.offgrid_ffi.User
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridPatrolsInterface

private const val DAY = 86_400_000L
private const val HOUR = 3_600_000L

private fun nfc(payload: String) = ScanInput(CheckMethod.NFC, payload, null, listOf(), null, null)

fun patrolTests() {
    test("patrols: plan, run with scans, skip approved, observation → one hazard, void, tasks") {
        withStore { _, s ->
            s.setUser(admin)
            val city = s.grid().add(NewGridCell("3201", "南京市", GridLevel.CITY, null, null))
            val sites = s.sites()
            val site = sites.add(NewSite("吉庆人防工程", "江东中路100号", SiteKind.DUAL_USE, "物业", city, null, listOf("p1")))
            val doors = listOf("出入口", "防护密闭门").mapIndexed { i, name ->
                val cp = sites.addCheckpoint(site, NewCheckpoint(name, CheckpointKind.ENTRANCE, listOf(CheckMethod.NFC)))
                sites.bindTag(site, cp, "https://tag.example/t?uid=04AABBCCDD000$i", CheckMethod.NFC)
                cp
            }
            val patrols = Coverage.track(OffgridPatrolsInterface::class.java, s.patrols())
            val schedule = Schedule(Recurrence.Day, listOf((9 * 60).toUShort()), 120u, 30u, 480)
            val spec = NewPlan("日常巡查", site, listOf(), "shelter-safety-patrol@1", schedule, false, listOf("u-li"), Completion.ANY, true)
            val plan = patrols.addPlan(spec)
            assertEquals(doors, patrols.plan(plan).versions.single().checkpoints.map { it.id })
            assertEquals(listOf(plan), patrols.plans(site, "u-li").map { it.id })
            fails<OffgridException.InvalidArgument> { patrols.addPlan(spec.copy(assignees = listOf())) }
            // The next version: wang patrols too, from the next window on.
            assertEquals(2u, patrols.revisePlan(plan, spec.copy(assignees = listOf("u-li", "u-wang"))))

            // A grid member (no role) patrols.
            s.setUser(User("u-li", "李", listOf(ProjectRole("p1", Role.INSPECTOR))))
            val run = patrols.start(plan, null)
            val ok = patrols.scan(run, nfc("https://tag.example/t?uid=04AABBCCDD0000"))
            assertTrue(ok.verdict.counts)
            assertEquals(doors[0], ok.verdict.checkpoint)
            val stray = patrols.scan(run, nfc("https://tag.example/t?uid=04FFFFFFFFFFFF"))
            assertFalse(stray.verdict.counts)
            assertEquals(listOf(ScanFlag.UNKNOWN_TAG), stray.verdict.flags)
            val skip = patrols.skip(run, doors[1], "积水 / flooded")
            assertEquals(listOf(doors[1]), patrols.run(run).remaining, "a skip needing approval does not count yet")
            // Answers fit the plan's template: its items, their types.
            patrols.answer(run, doors[0], "exits-clear", "\"pass\"", null)
            fails<OffgridException.InvalidAnswer> { patrols.answer(run, doors[0], "exits-clear", "42", null) }
            fails<OffgridException.UnknownItem> { patrols.answer(run, doors[0], "no-such-item", "\"pass\"", null) }
            val obs = patrols.observe(run, NewObservation(doors[1], "门下积水 / water under the door", null, listOf()))
            val hazard = patrols.raiseHazard(run, obs, "p1")
            assertEquals(hazard, patrols.raiseHazard(run, obs, "p1"), "raised twice: one hazard")
            val now = System.currentTimeMillis()
            patrols.addTrack(run, listOf(TrackPoint(now, 118.7312, 32.0051, 8.0)))
            assertEquals(1, patrols.track(run).size)
            fails<OffgridException.InvalidArgument> { patrols.addTrack(run, listOf(TrackPoint(now, 200.0, 32.0, 8.0))) }
            patrols.pause(run)
            fails<OffgridException.InvalidState> { patrols.scan(run, nfc("https://tag.example/t?uid=04AABBCCDD0001")) }
            patrols.resume(run)
            fails<OffgridException.InvalidArgument> { patrols.finish(run, null) }
            // Only a supervisor approves a skip or voids a run.
            fails<OffgridException.Forbidden> { patrols.approveSkip(run, skip) }
            s.setUser(admin)
            patrols.approveSkip(run, skip)
            assertTrue(patrols.run(run).remaining.isEmpty())
            s.setUser(User("u-li", "李", listOf()))
            patrols.finish(run, null)
            val view = patrols.run(run)
            assertEquals(RunStatus.FINISHED, view.status)
            assertTrue(view.events.first().kind is RunEventKind.Start)
            assertEquals(1u, view.flags["unknown_tag"])
            assertEquals(listOf(run), patrols.runs(plan).map { it.id })
            s.setUser(admin)
            patrols.voidRun(run, "代签 / scanned by someone else")
            assertEquals(RunStatus.VOIDED, patrols.run(run).status)

            // Tomorrow's task, derived; excused by a supervisor.
            val local = System.currentTimeMillis() + 8 * HOUR + DAY
            val day = local - local % DAY - 8 * HOUR
            val tasks = patrols.tasks(TaskQuery(day, day + DAY, "u-li", null, null))
            assertEquals(1, tasks.size)
            assertEquals(TaskState.UPCOMING, tasks[0].state)
            assertEquals(listOf("u-li", "u-wang"), tasks[0].assignees)
            val cov = patrols.coverage(CoverageQuery(day, day + DAY, null)).single()
            assertEquals(1u, cov.sites)
            assertEquals(1u, cov.own.tasks.upcoming)
            assertEquals(1u, cov.own.openHazards[""], "the observation's hazard, ungraded")
            patrols.excuseTask(plan, tasks[0].id, "工程封闭 / closed")
            assertEquals(TaskState.EXCUSED, patrols.tasks(TaskQuery(day, day + DAY, null, plan, null)).single().state)
        }
    }
}
