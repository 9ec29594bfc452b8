// Photos through the bindings: a 12 MP JPEG (several MB) attached to an inspection item and a
// hazard, its files, EXIF beside the shell's context, the upload queue, typed errors.
package offgrid.tests

import java.io.File
import java.security.MessageDigest
import javax.imageio.ImageIO
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.GpsFix
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.PhotoFile
import uniffi.offgrid_ffi.PhotoState
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.parseTemplate

fun samplePhoto(): File = File(System.getProperty("offgrid.sample") ?: "target/bindings/sample.jpg")

fun sha256(bytes: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

fun photoTests() {
    test("a 12 MP photo for an item and a hazard: files, EXIF, queue") {
        withStore { _, s ->
            s.setUser(admin)
            val t = parseTemplate(fixture("fire-patrol.json"))
            s.inspections.publishTemplate(t)
            s.setUser(inspector)
            val id = s.inspections.create(NewInspection(templateId = t.id, project = "p1", site = "B2"))
            val bytes = samplePhoto().readBytes()
            assertTrue(bytes.size > 2_000_000, "the sample is several MB: ${bytes.size}")
            val phoneFix = GpsFix(30.2, 120.1, null, 35.0)
            val meta = s.attach(
                PhotoTarget.Inspection(id, "exits-clear"),
                bytes,
                CaptureContext(capturedMs = System.currentTimeMillis(), offsetMinutes = 480, gps = phoneFix),
            )
            assertEquals(sha256(bytes), meta.sha256)
            assertEquals(bytes.size.toULong(), meta.bytes)
            assertEquals(phoneFix, meta.capture.gps)
            val exif = assertNotNull(meta.exif)
            assertEquals(6.toUByte(), exif.orientation)
            assertEquals("2026-11-28T09:30:00", exif.takenLocal)
            assertEquals(480, exif.takenOffsetMinutes)
            assertTrue(kotlin.math.abs(exif.gps!!.lat - 30.25) < 1e-9)

            val original = assertNotNull(s.photos.read(meta.sha256, PhotoFile.ORIGINAL))
            assertTrue(original.contentEquals(bytes), "the original is kept byte for byte")
            val upload = ImageIO.read(assertNotNull(s.photos.read(meta.sha256, PhotoFile.UPLOAD)).inputStream())
            // Stored 3000×4000 with orientation 6: the upload copy is upright, 2048×1536.
            assertEquals(2048 to 1536, upload.width to upload.height)
            val topLeft = upload.getRGB(upload.width / 4, upload.height / 4)
            assertTrue((topLeft shr 16 and 0xFF) > 150 && (topLeft and 0xFF) < 100, "top-left is red: ${Integer.toHexString(topLeft)}")
            val thumb = ImageIO.read(assertNotNull(s.photos.read(meta.sha256, PhotoFile.THUMB)).inputStream())
            assertEquals(256 to 192, thumb.width to thumb.height)

            assertEquals(setOf(meta.sha256), s.inspections.get(id).answers["exits-clear"]?.photos?.keys)
            assertEquals(listOf(meta), s.photos.ofRecord(id))

            val hazard = s.hazards.create(NewHazard(project = "p1", site = "B2", location = "东侧", title = "堵塞", description = "杂物"))
            // The camera writes into the path the core hands out; attached, the capture is gone.
            val shot = s.photos.capturePath()
            samplePhoto().copyTo(File(shot))
            assertEquals(listOf(shot), s.photos.leftoverCaptures())
            val found = s.photos.addCaptured(PhotoTarget.Hazard(hazard, false), shot, CaptureContext())
            assertEquals("found", found.stage)
            assertEquals(meta.sha256, found.sha256)
            assertEquals(setOf(meta.sha256), s.hazards.get(hazard).photos.keys)
            assertFalse(File(shot).exists())
            assertTrue(s.photos.leftoverCaptures().isEmpty())

            val queue = s.photos.queue(PhotoState.LOCAL)
            assertEquals(listOf(meta.sha256), queue.map { it.sha256 })
            // Only sync moves photo states: the shells only read the queue.
            assertTrue(s.photos.queue(PhotoState.UPLOADED).isEmpty())
            assertEquals(1, s.photos.queue(null).size)
        }
    }

    test("photo errors: HEIC, damaged, random bytes") {
        withStore { _, s ->
            s.setUser(inspector)
            val hazard = s.hazards.create(NewHazard(project = "p1", site = "B2", location = "东侧", title = "堵塞", description = "杂物"))
            val target = PhotoTarget.Hazard(hazard, false)
            val heic = "\u0000\u0000\u0000\u0018ftypheic\u0000\u0000\u0000\u0000mif1heic".toByteArray(Charsets.ISO_8859_1)
            val e = fails<OffgridException.UnsupportedImage> { s.attach(target, heic, CaptureContext()) }
            assertEquals("HEIC", e.format)
            assertContains(e.reason, "HEIC")
            val damaged = samplePhoto().readBytes().copyOf(2000)
            fails<OffgridException.ImageDecode> { s.attach(target, damaged, CaptureContext()) }
            fails<OffgridException.UnsupportedImage> { s.attach(target, ByteArray(4096) { (it * 31).toByte() }, CaptureContext()) }
            fails<OffgridException.Storage> { s.photos.addCaptured(target, "/nonexistent/photo.jpg", CaptureContext()) }
            assertTrue(s.photos.queue(null).isEmpty())
            assertTrue(s.photos.ofRecord(hazard).isEmpty())
        }
    }
}
