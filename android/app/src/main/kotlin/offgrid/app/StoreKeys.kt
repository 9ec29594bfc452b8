// The store's encryption key (ADR 0012): 32 random bytes, wrapped by an AES-256-GCM key that
// never leaves the Android Keystore (StrongBox when the device has one; no user authentication,
// so background sync can open the store), kept wrapped in the app's no-backup files (a copy
// restored elsewhere could not be unwrapped anyway). A key change keeps the new key wrapped as
// "pending" until the library's rekey returns, so a crash in between is finished at the next
// start by asking again (rekey is idempotent). Mirrors ios/Offgrid/App/StoreKeys.swift.
package offgrid.app

import android.content.Context
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

class StoreKeys(context: Context) {
    private val dir = context.noBackupFilesDir
    private val current = File(dir, "store.key.wrapped")
    private val pending = File(dir, "store.key.pending")

    /**
     * The store key, made on first use. [rekey] (the library's `rekeyStore` through the
     * gateway) finishes a key change that a crash interrupted. Call off the main thread.
     */
    fun storeKey(rekey: (old: ByteArray, new: ByteArray) -> Unit): ByteArray {
        if (current.exists() && pending.exists()) {
            val old = unwrap(current.readBytes())
            val new = unwrap(pending.readBytes())
            rekey(old, new)
            old.fill(0)
            promote()
            return new
        }
        if (current.exists()) return unwrap(current.readBytes())
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        writeAtomically(current, wrap(key))
        return key
    }

    /** Changes the key (the store closed): pending first, then rekey, then promoted. */
    fun rotate(rekey: (old: ByteArray, new: ByteArray) -> Unit) {
        val old = unwrap(current.readBytes())
        val new = ByteArray(32).also { SecureRandom().nextBytes(it) }
        writeAtomically(pending, wrap(new))
        rekey(old, new)
        promote()
        old.fill(0)
        new.fill(0)
    }

    private fun promote() {
        check(pending.renameTo(current)) { "cannot keep the new store key" }
    }

    private fun writeAtomically(file: File, bytes: ByteArray) {
        val tmp = File(file.path + ".tmp")
        tmp.outputStream().use { it.write(bytes); it.fd.sync() }
        check(tmp.renameTo(file)) { "cannot write ${file.name}" }
    }

    private fun wrap(key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val iv = cipher.iv
        return byteArrayOf(iv.size.toByte()) + iv + cipher.doFinal(key)
    }

    private fun unwrap(stored: ByteArray): ByteArray {
        val ivLength = stored[0].toInt()
        val iv = stored.copyOfRange(1, 1 + ivLength)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, iv))
        return cipher.doFinal(stored, 1 + ivLength, stored.size - 1 - ivLength)
    }

    private fun wrappingKey(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        fun generate(strongBox: Boolean): SecretKey {
            val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .apply { if (strongBox && Build.VERSION.SDK_INT >= 28) setIsStrongBoxBacked(true) }
                .build()
            return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
                .apply { init(spec) }
                .generateKey()
        }
        return try {
            generate(strongBox = true)
        } catch (e: StrongBoxUnavailableException) {
            generate(strongBox = false)
        }
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "offgrid.store.wrap"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
    }
}
