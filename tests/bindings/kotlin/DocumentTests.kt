// Official documents through the bindings: the core writes each into the store's documents
// folder and hands back the path (bytes never cross); a document's hash verifies as valid until
// its records change; a character no font has is printed as U+FFFD and listed on the result.
package offgrid.tests

import java.io.File
import java.security.MessageDigest
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.DocumentKind
import uniffi.offgrid_ffi.DocumentSettings
import uniffi.offgrid_ffi.DocumentStatus
import uniffi.offgrid_ffi.ListSort
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.NewInspection
import uniffi.offgrid_ffi.RectificationOrder
import uniffi.offgrid_ffi.RegisterQuery
import uniffi.offgrid_ffi.ReportOptions
import uniffi.offgrid_ffi.RiskGrade
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.parseTemplate

private val settings = DocumentSettings(
    agency = "测试市人民防空工程质量监督站",
    numberPattern = "测〔{year}〕{kind}{serial}号",
)

private fun sha256(file: File): String =
    MessageDigest.getInstance("SHA-256").digest(file.readBytes()).joinToString("") { "%02x".format(it) }

fun documentTests() {
    test("documents: report, notice, reply and register written by the core, verified by hash") {
        withStore { _, s ->
            s.setUser(admin)
            val t = parseTemplate(fixture("fire-patrol.json"))
            s.inspections.publishTemplate(t)
            s.setUser(inspector)
            val ins = s.inspections.create(NewInspection(templateId = t.id, project = "p1", site = "B2"))
            s.inspections.answer(ins, "exits-clear", "\"fail\"", "杂物堵塞")
            val h = s.hazards.createFromItem(ins, "exits-clear", "B2层东侧安全出口", "安全出口被杂物堵塞")
            s.setUser(supervisor)
            s.hazards.orderRectification(h, RectificationOrder("某建设公司", "u-li", "李师傅", System.currentTimeMillis() + 86_400_000L, "清理杂物"))

            val report = s.documents.supervisionReport(ins, ReportOptions(failedOnly = true), settings)
            val file = File(report.path)
            assertTrue(file.isFile && file.length() == report.bytes.toLong(), report.path)
            assertEquals(DocumentKind.SUPERVISION_REPORT, report.kind)
            assertTrue(report.number.startsWith("测〔") && report.number.contains("监督"), report.number)
            assertEquals("%PDF", String(file.readBytes().copyOfRange(0, 4)))
            assertTrue(report.pages >= 1u)
            assertEquals(listOf(ins, h).toSet(), report.records.map { it.id }.toSet())

            val notice = s.documents.rectificationNotice(listOf(h), settings)
            val reply = s.documents.replyForm(listOf(h), settings)
            val register = s.documents.register(RegisterQuery(project = "p1", sort = ListSort.GRADE), settings, false)
            assertTrue(File(notice.path).isFile && File(reply.path).isFile)
            assertEquals("PK", String(File(register.path).readBytes().copyOfRange(0, 2)), "XLSX is a zip")
            // Made twice from the same state: the same file.
            val again = s.documents.rectificationNotice(listOf(h), settings)
            assertEquals(notice.sha256, again.sha256)
            assertEquals(sha256(File(notice.path)), sha256(File(again.path)))

            assertEquals(DocumentStatus.VALID, s.documents.verify(notice.sha256).status)
            // The file itself, as a phone receives it: the hash and records read from its metadata.
            val fromFile = s.documents.verifyFile(notice.path)
            assertEquals(DocumentStatus.VALID, fromFile.status)
            assertEquals(notice.sha256, fromFile.sha256)
            s.hazards.escalate(h, "超期督办")
            val v = s.documents.verify(notice.sha256)
            assertEquals(DocumentStatus.SUPERSEDED, v.status)
            assertEquals(listOf(h), v.changed)
            assertEquals(DocumentStatus.SUPERSEDED, s.documents.verifyFile(notice.path).status)
            val stranger = File.createTempFile("not-offgrid", ".pdf").apply { writeText("%PDF-1.7 nothing of ours") }
            fails<OffgridException.Document> { s.documents.verifyFile(stranger.path) }
            fails<OffgridException.Storage> { s.documents.verifyFile(stranger.path + ".missing") }
            assertEquals(DocumentStatus.UNKNOWN, s.documents.verify("ab".repeat(32)).status)
            fails<OffgridException.InvalidArgument> { s.documents.verify("not a hash") }
        }
    }

    test("documents: traditional characters and ⌀ print; what no font has is replaced and listed") {
        withStore { _, s ->
            s.setUser(inspector)
            val ok = s.hazards.create(NewHazard(project = "p1", site = "B2", location = "中國建築第八工程局有限公司", title = "钢筋⌀25、Φ16间距偏大", description = "", grade = RiskGrade.YELLOW))
            assertTrue(s.documents.rectificationNotice(listOf(ok), settings).replacedCharacters.isEmpty())
            val h = s.hazards.create(NewHazard(project = "p1", site = "B2", location = "𪚥", title = "渗水", description = "", grade = RiskGrade.YELLOW))
            val notice = s.documents.rectificationNotice(listOf(h), settings)
            assertTrue(File(notice.path).isFile, "the document is made")
            assertEquals(listOf("𪚥"), notice.replacedCharacters.map { it.character })
            assertEquals("U+2A6A5", notice.replacedCharacters[0].codePoint)
            assertContains(notice.replacedCharacters[0].fields.joinToString(), "location")
            val other = fails<OffgridException.InvalidArgument> { s.documents.rectificationNotice(emptyList(), settings) }
            assertContains(other.reason, "at least one hazard")
        }
    }
}
