// NFC reader mode: a tag's NDEF URI (an NTAG 424 SUN URL or a plain URI) becomes a scan of the
// open patrol run; the core checks it against the site's bound tags.
package offgrid.app

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.tech.Ndef
import offgrid.presentation.PatrolRunStateHolder
import offgrid.presentation.Scans

class NfcScans : NfcAdapter.ReaderCallback {
    @Volatile var target: PatrolRunStateHolder? = null

    fun enable(activity: Activity, adapter: NfcAdapter) {
        val flags = NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK
        adapter.enableReaderMode(activity, this, flags, null)
    }

    override fun onTagDiscovered(tag: Tag) {
        val uri = Ndef.get(tag)?.cachedNdefMessage?.records?.firstNotNullOfOrNull { it.toUri() }
        target?.scan(Scans.nfc(uri?.toString(), android.os.SystemClock.elapsedRealtime()))
    }
}
