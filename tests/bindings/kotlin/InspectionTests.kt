// A whole inspection through the bindings: template, answers, photos, signature, submission,
// review; plus templates and the typed errors an inspector's screen reacts to.
package offgrid.tests

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.InspectionStatus
import uniffi.offgrid_ffi.ItemKind
import uniffi.offgrid_ffi.MissingKind
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.parseTemplate

fun sha(n: Int): String = "%064x".format(n)

/** A small JPEG, different for each [seed] (80×60, unlike the 64×48 "after" photos). */
fun smallJpeg(seed: Int): ByteArray {
    val image = BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until 80) for (y in 0 until 60) image.setRGB(x, y, ((x * 3 + seed * 40) % 256 shl 16) or (y * 4 shl 8) or (seed * 30 % 256))
    return ByteArrayOutputStream().also { ImageIO.write(image, "jpg", it) }.toByteArray()
}

fun inspectionTests() {
    test("templates: built-ins, parse with exact error paths, publish") {
        withStore { _, s ->
            val builtins = s.inspections.templates()
            assertTrue(builtins.size >= 4)
            assertTrue(builtins.all { it.title.zh.isNotBlank() && it.title.en.isNotBlank() })
            val t = parseTemplate(fixture("fire-patrol.json"))
            assertEquals("绑定测试巡查", t.title.zh)
            val items = t.sections.flatMap { it.items }
            assertEquals(7, items.size)
            assertTrue(items.first { it.id == "entrance" }.kind is ItemKind.Checkpoint)
            val number = items.first { it.id == "extinguishers" }.kind as ItemKind.Number
            assertEquals("MPa", number.unit)
            assertContains(items.first { it.id == "ebike-photos" }.visibleIf ?: "", "\"op\":\"in\"")
            val bad = fails<OffgridException.InvalidTemplate> {
                parseTemplate(fixture("fire-patrol.json").replace("\"min\": 1.0", "\"min\": 9.0"))
            }
            assertContains(bad.path, "items")
            fails<OffgridException.Forbidden> {
                s.setUser(inspector)
                s.inspections.publishTemplate(t)
            }
            s.setUser(admin)
            val ref = s.inspections.publishTemplate(t)
            assertEquals(1u, ref.version)
            assertEquals(64, ref.hash.length)
            assertEquals(t, s.inspections.template(t.id, 1u))
            assertTrue(s.inspections.templates().any { it.id == t.id })
        }
    }

    test("a whole inspection: answers, photos, signature, submit, review") {
        withStore { _, s ->
            s.setUser(admin)
            val t = parseTemplate(fixture("fire-patrol.json"))
            s.inspections.publishTemplate(t)
            s.setUser(inspector)
            val id = s.inspections.create(NewInspection(templateId = t.id, project = "p1", site = "人防工程B2层"))
            var ins = s.inspections.get(id)
            assertEquals(InspectionStatus.DRAFT, ins.status)
            assertEquals("绑定测试巡查", ins.title)
            assertEquals("人防工程B2层", ins.site)
            assertEquals(listOf("ebike-photos"), ins.progress.hidden)

            val wrong = fails<OffgridException.CheckpointMismatch> {
                s.inspections.answer(id, "entrance", "\"RF-CP-OTHER\"", null)
            }
            assertEquals("entrance", wrong.item)
            s.inspections.answer(id, "entrance", "\"RF-CP-ENTRANCE-01\"", null)
            assertEquals(InspectionStatus.IN_PROGRESS, s.inspections.get(id).status)
            fails<OffgridException.InvalidAnswer> { s.inspections.answer(id, "extinguishers", "\"很多\"", null) }
            fails<OffgridException.UnknownItem> { s.inspections.answer(id, "nope", "1", null) }
            fails<OffgridException.InvalidArgument> { s.inspections.answer(id, "extinguishers", "1.2.3", null) }

            val failed = s.inspections.answer(id, "exits-clear", "\"fail\"", "通道堆放杂物，疏散受阻")
            assertTrue(failed.failed)
            assertEquals(RiskGrade.ORANGE, failed.raisesHazard)

            val incomplete = fails<OffgridException.Incomplete> { s.inspections.submit(id) }
            val missing = incomplete.missing.map { it.item to it.what }.toSet()
            assertTrue(("exits-clear" to MissingKind.FAILURE_PHOTO) in missing, "$missing")
            assertTrue(("extinguishers" to MissingKind.ANSWER) in missing)
            assertTrue(("signed" to MissingKind.SIGNATURE) in missing)
            assertContains(incomplete.reason, "missing")

            // A photo is cited by hash only when this device holds it (or the inspection
            // carries it): a hash with no photo behind it would be evidence that never existed.
            val notHeld = fails<OffgridException.PhotoNotHeld> { s.inspections.addPhoto(id, "exits-clear", sha(1)) }
            assertEquals(sha(1), notHeld.sha256)
            assertContains(notHeld.reason, "not held")
            val photo = s.attach(PhotoTarget.Inspection(id, "exits-clear"), smallJpeg(1), CaptureContext())
            s.inspections.answer(id, "extinguishers", "1.2", null)
            val shown = s.inspections.answer(id, "ebikes", "\"parked\"", null)
            assertEquals(listOf("ebike-photos"), shown.shown)
            // Held here: cited by hash for another item.
            s.inspections.addPhoto(id, "ebike-photos", photo.sha256)
            // A signature image of several MB crosses as one byte array.
            val image = ByteArray(5 * 1024 * 1024) { (it % 251).toByte() }
            s.inspections.sign(id, "signed", "张工", image)

            val progress = s.inspections.submit(id)
            assertEquals(100.0, progress.completionPct)
            assertEquals(setOf("exits-clear", "ebikes"), progress.failed.map { it.item }.toSet())
            ins = s.inspections.get(id)
            assertEquals(InspectionStatus.SUBMITTED, ins.status)
            assertEquals("通道堆放杂物，疏散受阻", ins.answers["exits-clear"]?.note)
            assertEquals(setOf(photo.sha256), ins.answers["exits-clear"]?.photos?.keys)
            assertEquals("u-zhang", ins.answers["exits-clear"]?.photos?.get(photo.sha256)?.by)
            assertEquals(setOf(photo.sha256), ins.answers["ebike-photos"]?.photos?.keys)
            assertEquals(5uL * 1024u * 1024u, ins.signatures.single().imageBytes)
            assertEquals("张工", ins.signatures.single().name)
            assertEquals(480, ins.signatures.single().offsetMinutes)

            val locked = fails<OffgridException.InvalidState> { s.inspections.answer(id, "remarks", "\"迟到的备注\"", null) }
            assertEquals("submitted", locked.state)

            s.setUser(supervisor)
            fails<OffgridException.InvalidArgument> { s.inspections.review(id, false, null) }
            s.inspections.review(id, false, "请补充灭火器照片")
            assertEquals(InspectionStatus.RETURNED, s.inspections.get(id).status)
            s.setUser(inspector)
            s.inspections.submit(id)
            s.setUser(supervisor)
            s.inspections.review(id, true, null)
            ins = s.inspections.get(id)
            assertEquals(InspectionStatus.REVIEWED, ins.status)
            assertEquals(listOf("submitted", "returned", "submitted", "reviewed"), ins.events.map { it.kind.name.lowercase() })
            assertFalse(ins.amendments.isNotEmpty())
        }
    }
}
