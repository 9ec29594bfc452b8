// Sync through the bindings against a real server on loopback (`offgrid serve`, started by
// tests/bindings/run): login once, a hazard with a multi-MB photo synced from one device to
// another and back, progress and status, the typed sync errors, cancellation, sign-out.
package offgrid.tests

import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.PhotoFile
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RectificationOrder
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.Role
import uniffi.offgrid_ffi.SyncProgress
import uniffi.offgrid_ffi.SyncState
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
    test("plain http to a server off this device is refused unless the store allows it") {
        withStore { _, a ->
            // 192.0.2.1 (TEST-NET-1): refused before any connection is tried.
            val e = fails<OffgridException.InvalidArgument> { a.sync.login("http://192.0.2.1:8470", "zhang", PASSWORD, "Pixel") }
            assertTrue(e.reason.contains("http://"), e.reason)
            a.sync.setInsecureHttpAllowed(true)
            // Allowed now: the attempt goes out (0.0.0.0 is not loopback, and nothing listens on
            // port 9 of this machine: refused at once), no longer refused by the store.
            val other = runCatching { a.sync.login("http://0.0.0.0:9/", "zhang", PASSWORD, "Pixel") }.exceptionOrNull()
            assertTrue(other !is OffgridException.InvalidArgument, "$other")
            a.sync.setInsecureHttpAllowed(false)
            fails<OffgridException.InvalidArgument> { a.sync.login("http://0.0.0.0:9/", "zhang", PASSWORD, "Pixel") }
        }
    }

    test("two encrypted devices sync a hazard and its 4 MB photo through the server") {
        withStore(key = uniffi.offgrid_ffi.generateStoreKey()) { _, a ->
            withStore(key = uniffi.offgrid_ffi.generateStoreKey()) { _, b ->
                val account = a.sync.login(serverUrl(), "zhang", PASSWORD, "Pixel of 张工")
                assertEquals("张工", account.name)
                assertEquals(Role.INSPECTOR, account.roles.single { it.project == "p1" }.role)
                b.sync.login(serverUrl(), "wang", PASSWORD, "iPhone of 王总监")

                // Offline on device A: a hazard with a photo.
                val id = a.hazards.create(NewHazard(project = "p1", site = "B1", location = "防护密闭门", title = "密闭门变形", description = "门框变形，无法关闭"))
                val bytes = samplePhoto().readBytes()
                val photo = a.attach(PhotoTarget.Hazard(id, false), bytes, CaptureContext(capturedMs = null, offsetMinutes = 480, gps = null))
                assertEquals(1UL, a.sync.status().pendingRecords.coerceAtMost(1UL))
                assertEquals(1UL, a.sync.status().pendingPhotos)

                val progress = Progress()
                val report = a.sync.run(progress, SyncCancel())
                assertTrue(report.complete, "A's sync is complete: $report")
                assertEquals(1UL, report.progress.photosUp)
                assertEquals("done", progress.seen.last().phase)
                assertTrue(progress.seen.last().bytesUp > bytes.size.toULong(), "the photo went up")
                val status = a.sync.status()
                assertEquals(0UL, status.pendingRecords)
                assertEquals(0UL, status.pendingPhotos)
                assertNotNull(status.lastSuccessMs)
                assertNull(status.lastError)

                // Device B pulls the hazard and downloads the photo, byte for byte.
                val rb = b.sync.run(null, null)
                assertTrue(rb.complete)
                assertEquals(1UL, rb.progress.photosDown)
                assertEquals("密闭门变形", b.hazards.get(id).title)
                val original = assertNotNull(b.photos.read(photo.sha256, PhotoFile.ORIGINAL))
                assertEquals(sha256(bytes), sha256(original))

                // B (supervisor) grades and orders rectification; A sees it after syncing.
                b.hazards.grade(id, RiskGrade.ORANGE, false, "门框需更换")
                b.hazards.orderRectification(id, RectificationOrder("人防施工队", "li", "李师傅", System.currentTimeMillis() + 86_400_000, "更换门框"))
                assertTrue(b.sync.run(null, null).complete)
                assertTrue(a.sync.run(null, null).complete)
                assertEquals(RiskGrade.ORANGE, a.hazards.get(id).state.grade)
                assertEquals(a.getRecord(id), b.getRecord(id))

                a.sync.reconcile()
                assertTrue(a.sync.run(null, null).complete, "nothing diverged")
            }
        }
    }

    test("two devices answer the same item offline; sync merges and the conflict names both") {
        withStore { _, a ->
            withStore { _, b ->
                a.sync.login(serverUrl(), "zhang", PASSWORD, "Pixel of 张工")
                b.sync.login(serverUrl(), "wang", PASSWORD, "iPhone of 王总监")
                val id = a.inspections.create(NewInspection(templateId = "shelter-safety-patrol", project = "p1", site = "B4"))
                assertTrue(a.sync.run(null, null).complete)
                assertTrue(b.sync.run(null, null).complete)
                a.inspections.answer(id, "remarks", "\"门口积水\"", null)
                b.inspections.answer(id, "remarks", "\"门口积水，已告知物业\"", "补充")
                for (device in listOf(a, b, a)) assertTrue(device.sync.run(null, null).complete)
                assertEquals(a.getRecord(id), b.getRecord(id))
                val conflict = a.conflicts(id).single { it.path == "/answers/remarks/value" }
                assertEquals(setOf("张工", b.currentUser()!!.name), conflict.values.map { it.userName }.toSet())
                assertEquals(1, conflict.values.count { it.winner })
                assertEquals("补充", a.inspections.get(id).answers["remarks"]?.note)
            }
        }
    }

    test("sync errors are typed; cancel and sign-out work") {
        withStore { _, s ->
            fails<OffgridException.NotSignedIn> { s.sync.run(null, null) }
            val wrong = fails<OffgridException.Unauthorized> { s.sync.login(serverUrl(), "zhang", "wrong password", "x") }
            assertTrue(wrong.reason.contains("wrong user or password"), wrong.reason)
            fails<OffgridException.Network> { s.sync.login("http://127.0.0.1:9", "zhang", PASSWORD, "x") }
            fails<OffgridException.InvalidArgument> { s.sync.login("ftp://example", "zhang", PASSWORD, "x") }

            s.sync.login(serverUrl(), "vera", PASSWORD, "viewer's tablet")
            val cancel = SyncCancel()
            cancel.cancel()
            assertTrue(cancel.isCancelled())
            fails<OffgridException.Cancelled> { s.sync.run(null, cancel) }
            assertTrue(s.sync.status().lastError!!.contains("cancelled"))
            assertTrue(s.sync.run(null, null).complete, "a viewer pulls")
            s.sync.signOut()
            assertTrue(!s.sync.status().signedIn)
            fails<OffgridException.NotSignedIn> { s.sync.run(null, null) }
        }
    }

    test("the sync service: needs login, syncing, idle; observers; cancel; due") {
        withStore { _, s ->
            val service = Coverage.track(uniffi.offgrid_ffi.OffgridSyncServiceInterface::class.java, s.sync.service())
            val heard = java.util.Collections.synchronizedList(mutableListOf<SyncState>())
            val id = service.observe(object : SyncStateListener {
                override fun onState(state: SyncState) { heard.add(state) }
            })
            assertTrue(service.run() is SyncState.NeedsLogin)
            s.sync.login(serverUrl(), "vera", PASSWORD, "service test")
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
