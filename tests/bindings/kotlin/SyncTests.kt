// Sync through the bindings against a real server on loopback (`offgrid serve`, started by
// tests/bindings/run): login once, a hazard with a multi-MB photo synced from one device to
// another and back, progress and status, the typed sync errors, cancellation, sign-out.
package offgrid.tests

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.offgrid_core.CaptureContext
import uniffi.offgrid_core.NewHazard
import uniffi.offgrid_core.PhotoFile
import uniffi.offgrid_core.PhotoTarget
import uniffi.offgrid_core.RectificationOrder
import uniffi.offgrid_core.RiskGrade
import uniffi.offgrid_core.Role
import uniffi.offgrid_core.SyncProgress
import uniffi.offgrid_core.SyncState
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.SyncCancel
import uniffi.offgrid_ffi.SyncProgressListener
import uniffi.offgrid_ffi.SyncStateListener

fun serverUrl(): String = System.getProperty("offgrid.server") ?: error("-Doffgrid.server is not set")

const val PASSWORD = "correct horse"

class Progress : SyncProgressListener {
    val seen = java.util.Collections.synchronizedList(mutableListOf<SyncProgress>())
    val threads = java.util.Collections.synchronizedSet(mutableSetOf<String>())

    override fun onProgress(progress: SyncProgress) {
        seen.add(progress)
        threads.add(Thread.currentThread().name)
    }
}

fun syncTests() {
    test("two devices sync a hazard and its 4 MB photo through the server") {
        withStore { _, a ->
            withStore { _, b ->
                val account = a.login(serverUrl(), "zhang", PASSWORD, "Pixel of 张工")
                assertEquals("张工", account.name)
                assertEquals(Role.INSPECTOR, account.roles.single { it.project == "p1" }.role)
                b.login(serverUrl(), "wang", PASSWORD, "iPhone of 王总监")

                // Offline on device A: a hazard with a photo.
                val id = a.raiseHazard(NewHazard(project = "p1", site = "B1", location = "防护密闭门", title = "密闭门变形", description = "门框变形，无法关闭"))
                val bytes = samplePhoto().readBytes()
                val photo = a.addPhoto(PhotoTarget.Hazard(id, false), bytes, CaptureContext(capturedMs = null, offsetMinutes = 480, gps = null))
                assertEquals(1UL, a.syncStatus().pendingRecords.coerceAtMost(1UL))
                assertEquals(1UL, a.syncStatus().pendingPhotos)

                val progress = Progress()
                val report = a.sync(progress, SyncCancel())
                assertTrue(report.complete, "A's sync is complete: $report")
                assertEquals(1UL, report.progress.photosUp)
                assertEquals("done", progress.seen.last().phase)
                assertTrue(progress.seen.last().bytesUp > bytes.size.toULong(), "the photo went up")
                val status = a.syncStatus()
                assertEquals(0UL, status.pendingRecords)
                assertEquals(0UL, status.pendingPhotos)
                assertNotNull(status.lastSuccessMs)
                assertNull(status.lastError)

                // Device B pulls the hazard and downloads the photo, byte for byte.
                val rb = b.sync(null, null)
                assertTrue(rb.complete)
                assertEquals(1UL, rb.progress.photosDown)
                assertEquals("密闭门变形", b.hazard(id).title)
                val original = File(assertNotNull(b.photoPath(photo.sha256, PhotoFile.ORIGINAL)))
                assertEquals(sha256(bytes), sha256(original.readBytes()))

                // B (supervisor) grades and orders rectification; A sees it after syncing.
                b.gradeHazard(id, RiskGrade.ORANGE, false, "门框需更换")
                b.orderRectification(id, RectificationOrder("人防施工队", "li", "李师傅", System.currentTimeMillis() + 86_400_000, "更换门框"))
                assertTrue(b.sync(null, null).complete)
                assertTrue(a.sync(null, null).complete)
                assertEquals(RiskGrade.ORANGE, a.hazard(id).state.grade)
                assertEquals(a.heads(id), b.heads(id))

                a.reconcile()
                assertTrue(a.sync(null, null).complete, "nothing diverged")
            }
        }
    }

    test("sync errors are typed; cancel and sign-out work") {
        withStore { _, s ->
            fails<OffgridException.NotSignedIn> { s.sync(null, null) }
            val wrong = fails<OffgridException.Unauthorized> { s.login(serverUrl(), "zhang", "wrong password", "x") }
            assertTrue(wrong.reason.contains("wrong user or password"), wrong.reason)
            fails<OffgridException.Network> { s.login("http://127.0.0.1:9", "zhang", PASSWORD, "x") }
            fails<OffgridException.InvalidArgument> { s.login("ftp://example", "zhang", PASSWORD, "x") }

            s.login(serverUrl(), "vera", PASSWORD, "viewer's tablet")
            val cancel = SyncCancel()
            cancel.cancel()
            assertTrue(cancel.isCancelled())
            fails<OffgridException.Cancelled> { s.sync(null, cancel) }
            assertTrue(s.syncStatus().lastError!!.contains("cancelled"))
            assertTrue(s.sync(null, null).complete, "a viewer pulls")
            s.signOut()
            assertTrue(!s.syncStatus().signedIn)
            fails<OffgridException.NotSignedIn> { s.sync(null, null) }
        }
    }

    test("the sync service: needs login, syncing, idle; observers; cancel; due") {
        withStore { _, s ->
            val service = Coverage.track(uniffi.offgrid_ffi.OffgridSyncServiceInterface::class.java, s.syncService())
            val heard = java.util.Collections.synchronizedList(mutableListOf<SyncState>())
            val id = service.observe(object : SyncStateListener {
                override fun onState(state: SyncState) { heard.add(state) }
            })
            assertTrue(service.run() is SyncState.NeedsLogin)
            s.login(serverUrl(), "vera", PASSWORD, "service test")
            val done = service.run()
            assertTrue(done is SyncState.Idle && done.complete, "$done")
            assertTrue(service.state() is SyncState.Idle)
            assertTrue(heard.any { it is SyncState.Syncing }, "observers hear the sync running")
            assertTrue(service.due(System.currentTimeMillis()))
            service.cancel()
            service.unobserve(id)
            val before = heard.size
            service.run()
            assertEquals(before, heard.size, "a removed observer hears nothing")
        }
    }
}
