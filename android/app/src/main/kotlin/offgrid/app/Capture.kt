// Camera capture and QR scanning. Photos are taken into the core's capture folder (a path,
// never bytes through the UI) and handed to the core by path; QR codes read by ML Kit become
// scans of the open patrol run.
package offgrid.app

import android.content.Context
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.core.content.FileProvider
import com.google.mlkit.vision.barcode.BarcodeScanning
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.common.InputImage
import java.io.File
import java.util.UUID
import offgrid.presentation.PatrolRunStateHolder
import offgrid.presentation.Scans

/** A new file in the core's capture folder and the content URI the camera app writes to. */
fun captureTarget(context: Context): Pair<File, Uri> {
    val file = context.filesDir.resolve("offgrid/capture").apply { mkdirs() }.resolve("${UUID.randomUUID()}.jpg")
    return file to FileProvider.getUriForFile(context, "${context.packageName}.photos", file)
}

/** Returns a launcher: takes a photo and passes its file to [onPhoto] (which adds it by path). */
@Composable
fun rememberPhotoCapture(context: Context, onPhoto: (File) -> Unit): () -> Unit {
    val pending = remember { arrayOfNulls<File>(1) }
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val file = pending[0]
        if (saved && file != null) onPhoto(file) else file?.delete()
    }
    return {
        val (file, uri) = captureTarget(context)
        pending[0] = file
        launcher.launch(uri)
    }
}

/** Reads QR codes from a still [image] and sends each as a scan to the run. */
fun scanQr(image: InputImage, run: PatrolRunStateHolder) {
    BarcodeScanning.getClient().process(image).addOnSuccessListener { codes ->
        codes.filter { it.format == Barcode.FORMAT_QR_CODE }.mapNotNull { it.rawValue }.forEach {
            run.scan(Scans.qr(it, android.os.SystemClock.elapsedRealtime()))
        }
    }
}
