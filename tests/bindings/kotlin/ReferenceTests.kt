// Reference data through the bindings (ADR 0007): the grid (cells, members, GeoJSON
// boundaries) and sites with checkpoints and tags, on the store's `grid()` and `sites()`
// sub-objects; a tag's binding resolved from its history; typed errors for bad input and for
// users who may not write reference data.
package offgrid.tests

import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CheckMethod
import uniffi.offgrid_ffi.CheckpointKind
import uniffi.offgrid_ffi.GridLevel
import uniffi.offgrid_ffi.GridMember
import uniffi.offgrid_ffi.GridRole
import uniffi.offgrid_ffi.NewCheckpoint
import uniffi.offgrid_ffi.NewGridCell
import uniffi.offgrid_ffi.NewSite
import uniffi.offgrid_ffi.SiteEdit
import uniffi.offgrid_ffi.SiteKind
import uniffi.offgrid_ffi.SiteQuery
import uniffi.offgrid_ffi.TagEventKind
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridGridInterface
import uniffi.offgrid_ffi.OffgridSitesInterface
import uniffi.offgrid_ffi.tagKey

private const val POLYGON =
    """{"type":"Polygon","coordinates":[[[118.73,32.0],[118.74,32.0],[118.74,32.01],[118.73,32.0]]]}"""

fun referenceTests() {
    test("grid: cells by level, members, boundary in and out, refusals") {
        withStore { _, s ->
            s.setUser(admin)
            val grid = Coverage.track(OffgridGridInterface::class.java, s.grid())
            val city = grid.add(NewGridCell("3201", "南京市", GridLevel.CITY, null, null))
            val district = grid.add(NewGridCell("320105", "建邺区", GridLevel.DISTRICT, city, POLYGON))
            val community = grid.add(NewGridCell("320105001", "吉庆社区", GridLevel.COMMUNITY, district, null))
            assertEquals(district, grid.cellByCode("320105"))
            assertNull(grid.cellByCode("999"))
            assertEquals(listOf(city), grid.children(null).map { it.id })
            assertEquals(listOf("3201", "320105", "320105001"), grid.subtree(city).map { it.code })
            assertTrue(grid.cell(district).boundary!!.contains("Polygon"))
            grid.setBoundary(district, null)
            assertNull(grid.cell(district).boundary)
            grid.rename(community, "吉庆社区（新）")
            grid.setMember(community, GridMember("u-zhang", "张工", GridRole.LEADER))
            assertEquals(GridRole.LEADER, grid.cell(community).members.single().role)
            assertEquals(listOf(community), grid.cellsOf("u-zhang").map { it.id })
            grid.removeMember(community, "u-zhang")
            assertTrue(grid.cellsOf("u-zhang").isEmpty())

            val bad = fails<OffgridException.InvalidArgument> {
                grid.add(NewGridCell("x1", "错", GridLevel.DISTRICT, community, null))
            }
            assertTrue(bad.reason.isNotEmpty())
            fails<OffgridException.InvalidArgument> { grid.setBoundary(district, """{"type":"Point","coordinates":[1,2]}""") }
            s.setUser(inspector)
            fails<OffgridException.Forbidden> { grid.rename(community, "越权") }
            assertEquals("吉庆社区（新）", grid.cell(community).name)
        }
    }

    test("sites: checkpoints, tags bound and unbound, binding at a moment, lists") {
        withStore { _, s ->
            s.setUser(admin)
            val grid = Coverage.track(OffgridGridInterface::class.java, s.grid())
            val sites = Coverage.track(OffgridSitesInterface::class.java, s.sites())
            val city = grid.add(NewGridCell("3201", "南京市", GridLevel.CITY, null, null))
            val site = sites.add(NewSite("吉庆人防工程", "江东中路100号", SiteKind.DUAL_USE, "吉庆物业", city, "118.7312,32.0051", listOf("p1")))
            val door = sites.addCheckpoint(site, NewCheckpoint("1号防护密闭门", CheckpointKind.BLAST_DOOR, listOf(CheckMethod.NFC, CheckMethod.QR)))
            val sump = sites.addCheckpoint(site, NewCheckpoint("集水井", CheckpointKind.SUMP, listOf(CheckMethod.MANUAL_PHOTO)))
            sites.updateCheckpoint(site, sump, "1号集水井", null, null)
            val nfc = "https://t.example/s?uid=04A1B2C3D4E5F6&ctr=000012&cmac=AB12CD34EF56AB12"
            val bound = sites.bindTag(site, door, nfc, CheckMethod.NFC)
            assertEquals("uid:04A1B2C3D4E5F6", bound.tag)
            assertEquals(bound.tag, tagKey("https://t.example/s?uid=04a1b2c3d4e5f6&ctr=000013&cmac=00"))
            assertTrue(bound.kind is TagEventKind.Bind)
            val later = bound.atMs + 1
            assertEquals(door, assertNotNull(sites.tagBinding(nfc, later)).checkpoint)
            val unbound = sites.unbindTag(site, nfc, "标签损坏")
            assertEquals("标签损坏", (unbound.kind as TagEventKind.Unbind).reason)
            assertNull(sites.tagBinding(nfc, unbound.atMs + 1))
            assertEquals(2, sites.tagHistory(nfc).size)
            fails<OffgridException.InvalidArgument> { sites.bindTag(site, sump, "QR-1", CheckMethod.QR) }

            val got = sites.site(site)
            assertEquals(listOf("1号防护密闭门", "1号集水井"), got.checkpoints.map { it.name })
            assertEquals(SiteKind.DUAL_USE, got.kind)
            sites.update(site, SiteEdit(name = null, address = "江东中路102号", kind = null, unit = null, location = null, cell = null))
            sites.linkProject(site, "p2")
            assertEquals(listOf(site), sites.list(SiteQuery(cell = null, project = "p2", text = null)).map { it.id })
            sites.unlinkProject(site, "p2")
            assertTrue(sites.list(SiteQuery(cell = null, project = "p2", text = null)).isEmpty())
            assertEquals("江东中路102号", sites.site(site).address)

            // A supervisor of p1 edits the site's fields, not its projects; an inspector nothing.
            s.setUser(supervisor)
            sites.update(site, SiteEdit(name = null, address = null, kind = null, unit = "新物业", location = null, cell = null))
            fails<OffgridException.Forbidden> { sites.linkProject(site, "p9") }
            s.setUser(inspector)
            fails<OffgridException.Forbidden> { sites.addCheckpoint(site, NewCheckpoint("x", CheckpointKind.OTHER, listOf(CheckMethod.QR))) }
            assertEquals("新物业", sites.site(site).unit)
        }
    }
}
