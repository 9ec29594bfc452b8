// Encryption at rest through the bindings, as a shell uses it: a key from generateStoreKey, a
// store opened with it, photos read back through the store (the files on disk are sealed), the
// typed errors for no key and a wrong key, a plain store encrypted in place, and the key changed.
package offgrid.tests

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.NewHazard
import uniffi.offgrid_ffi.PhotoFile
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.OffgridException
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.generateStoreKey
import uniffi.offgrid_ffi.rekeyStore

private fun openEncrypted(path: java.nio.file.Path, key: ByteArray) =
    OffgridStore.openEncrypted(path.toString(), 480, key)

private fun ByteArray.contains(needle: ByteArray): Boolean =
    (0..size - needle.size).any { i -> needle.indices.all { this[i + it] == needle[it] } }

fun encryptionTests() {
    test("an encrypted store: nothing readable on disk, photos read through the store") {
        val path = tempDb()
        val key = generateStoreKey()
        assertEquals(32, key.size)
        assertFalse(key.contentEquals(generateStoreKey()))
        val photo = samplePhoto().readBytes()
        val title = "防护密闭门渗水 secret-7f3a"
        val sha = withStore(path, key) { _, s ->
            assertTrue(s.isEncrypted())
            s.setUser(inspector)
            val h = s.hazards.create(NewHazard(project = "p1", site = "B1", location = "口部", title = title, description = ""))
            s.attach(PhotoTarget.Hazard(h, false), photo, CaptureContext()).sha256
        }
        val onDisk = path.toFile().readBytes()
        assertFalse(onDisk.contains(title.toByteArray()), "the title is not in the file")
        assertFalse(onDisk.contains("SQLite format 3".toByteArray()))
        val sealed = File("$path.blobs").walk().filter { it.isFile }.toList()
        assertEquals(3, sealed.size, "original, upload copy, thumbnail: $sealed")
        for (f in sealed) assertTrue(f.readBytes().copyOf(8).contentEquals("OGSEAL01".toByteArray()), "$f is sealed")

        withStore(path, key) { _, s ->
            assertTrue(assertNotNull(s.photos().read(sha, PhotoFile.ORIGINAL)).contentEquals(photo))
            assertEquals(1, s.list(uniffi.offgrid_ffi.ListQuery(sort = uniffi.offgrid_ffi.ListSort.UPDATED)).size)
        }
        withStore { _, s -> assertFalse(s.isEncrypted()) }
    }

    test("no key, a wrong key, a bad key: typed errors, the files untouched") {
        val path = tempDb()
        val key = generateStoreKey()
        openEncrypted(path, key).close()
        val before = path.toFile().readBytes()
        fails<OffgridException.KeyRequired> { OffgridStore(path.toString(), 480).close() }
        fails<OffgridException.WrongKey> { openEncrypted(path, generateStoreKey()).close() }
        fails<OffgridException.InvalidArgument> { openEncrypted(path, ByteArray(16)).close() }
        assertTrue(path.toFile().readBytes().contentEquals(before))
    }

    test("a plain store is encrypted in place when first opened with a key; rekeyStore changes the key") {
        val path = tempDb()
        val photo = samplePhoto().readBytes()
        val sha = withStore(path) { _, s ->
            s.setUser(inspector)
            val h = s.hazards.create(NewHazard(project = "p1", site = "B1", location = "口部", title = "渗水", description = ""))
            s.attach(PhotoTarget.Hazard(h, false), photo, CaptureContext()).sha256
        }
        val old = generateStoreKey()
        withStore(path, old) { _, s ->
            assertTrue(s.isEncrypted())
            assertTrue(assertNotNull(s.photos().read(sha, PhotoFile.ORIGINAL)).contentEquals(photo))
        }
        val new = generateStoreKey()
        rekeyStore(path.toString(), old, new)
        rekeyStore(path.toString(), old, new) // asked again after a crash: already done
        fails<OffgridException.WrongKey> { openEncrypted(path, old).close() }
        fails<OffgridException.WrongKey> { rekeyStore(path.toString(), generateStoreKey(), generateStoreKey()) }
        withStore(path, new) { _, s ->
            assertTrue(assertNotNull(s.photos().read(sha, PhotoFile.THUMB)).isNotEmpty())
        }
        // A sealed photo file altered on disk is refused, never shown.
        val upload = File("$path.blobs").walk().first { it.isFile && it.path.contains("upload") }
        val bytes = upload.readBytes()
        bytes[bytes.size - 30] = (bytes[bytes.size - 30].toInt() xor 1).toByte()
        upload.writeBytes(bytes)
        withStore(path, new) { _, s ->
            fails<OffgridException.Corrupt> { s.photos().read(sha, PhotoFile.UPLOAD) }
        }
    }
}
