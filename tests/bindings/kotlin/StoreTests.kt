// The generic record API, typed errors, closing, and merging two stores through byte arrays.
package offgrid.tests

import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.ListQuery
import uniffi.offgrid_ffi.ListSort
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RecordKind
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.coreVersion
import uniffi.offgrid_ffi.wipeStore
import uniffi.offgrid_ffi.parseTemplate

fun storeTests() {
    test("wipeStore removes the database, its photos and its documents once the store is closed") {
        val path = tempDb()
        withStore(path) { _, s ->
            s.setUser(inspector)
            val h = s.hazards.create(NewHazard(project = "p1", site = "B1", location = "口部", title = "渗水", description = ""))
            s.attach(PhotoTarget.Hazard(h, false), samplePhoto().readBytes(), CaptureContext())
        }
        val blobs = File("$path.blobs")
        assertTrue(path.toFile().isFile && blobs.isDirectory)
        assertTrue(wipeStore(path.toString()) >= 2uL)
        assertFalse(path.toFile().exists() || blobs.exists() || File("$path-wal").exists())
        assertEquals(0uL, wipeStore(path.toString()), "nothing left: nothing to remove")
    }

    test("open, records, Chinese text, history, verify") {
        withStore { _, s ->
            assertTrue(coreVersion().isNotEmpty())
            assertTrue(s.path().endsWith("offgrid.db"))
            assertEquals(32, s.actorId().length)
            assertNull(s.currentUser())
            s.setUser(admin)
            assertEquals("管理员", s.currentUser()?.name)
            val title = "人防工程B2层 防护密闭门 🚪 «检查»"
            val id = s.createRecord(RecordKind.PROJECT, """{"title": "$title", "site": "杭州·滨江"}""")
            assertContains(s.getRecord(id), title)
            assertEquals("\"$title\"", s.getPath(id, "/title"))
            assertNull(s.getPath(id, "/nothing"))
            val rows = s.list(ListQuery(kind = RecordKind.PROJECT, sort = ListSort.UPDATED))
            assertEquals(listOf(id), rows.map { it.id })
            assertEquals(title, rows[0].title)
            // One- and two-character Chinese searches.
            assertEquals(1, s.list(ListQuery(text = "滨江", sort = ListSort.UPDATED)).size)
            assertEquals(0, s.list(ListQuery(text = "裂", sort = ListSort.UPDATED)).size)
            assertTrue(s.counts(ListQuery(sort = ListSort.UPDATED), "status").values.sum() <= 1u)
            val history = s.history(id)
            assertEquals(1, history.size)
            assertEquals("管理员", history[0].userName)
            assertTrue(history[0].paths.contains("/title"))
            val report = s.verify()
            assertEquals(listOf("ok"), report.integrity)
            assertEquals(1uL, report.records)
            assertTrue(report.unreadable.isEmpty())
        }
    }

    test("typed errors carry a reason; stored data survives bad input") {
        withStore { _, s ->
            val e1 = fails<OffgridException.NoCurrentUser> {
                s.createRecord(RecordKind.PROJECT, "{}")
            }
            assertTrue(e1.reason.isNotBlank())
            s.setUser(admin)
            val id = s.createRecord(RecordKind.PROJECT, """{"title": "保留"}""")
            val e2 = fails<OffgridException.NotFound> { s.getRecord("no-such-record") }
            assertEquals("no-such-record", e2.id)
            assertContains(e2.reason, "not found")
            val e3 = fails<OffgridException.InvalidArgument> {
                s.createRecord(RecordKind.PROJECT, "{not json")
            }
            assertContains(e3.reason, "not valid JSON")
            fails<OffgridException.InvalidArgument> {
                s.counts(ListQuery(sort = ListSort.UPDATED), "title")
            }
            assertEquals("\"保留\"", s.getPath(id, "/title"))
            assertEquals(listOf("ok"), s.verify().integrity)
        }
        // A file that is not a database is refused and left as it was.
        val junk = File(tempDb().toString())
        junk.writeText("这不是数据库 — not a database")
        val before = junk.readBytes()
        fails<OffgridException.NotADatabase> { OffgridStore(junk.path, 480) }
        assertTrue(before.contentEquals(junk.readBytes()))
    }

    test("closing: close_database, calls after close, use/close") {
        val path = tempDb()
        val store = OffgridStore(path.toString(), 480)
        val s = Coverage.track(uniffi.offgrid_ffi.OffgridStoreInterface::class.java, store)
        s.setUser(admin)
        val id = s.createRecord(RecordKind.PROJECT, """{"title": "关闭前"}""")
        assertFalse(s.isClosed())
        s.closeDatabase()
        assertTrue(s.isClosed())
        s.closeDatabase() // twice is harmless
        val e = fails<OffgridException.Closed> { s.getRecord(id) }
        assertContains(e.reason, "closed")
        // The writer checkpointed the WAL into the file on close.
        assertFalse(File("$path-wal").exists() && File("$path-wal").length() > 0)
        store.close()
        val after = fails<IllegalStateException> { store.getRecord(id) }
        assertContains(after.message ?: "", "destroyed")
        // Reopening finds everything.
        withStore(path) { _, again -> assertEquals("\"关闭前\"", again.getPath(id, "/title")) }
    }
}

