// The single activity: Navigation between the screens; NFC reader mode while a patrol run is
// open (tags go to its state holder as scans); the runtime permissions the work needs (camera
// for photos and QR codes, location for where a photo or scan was taken) asked once at start —
// refusing them leaves everything else working.
package offgrid.app

import android.Manifest
import android.content.pm.PackageManager
import android.nfc.NfcAdapter
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.ContextCompat
import androidx.activity.compose.setContent
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import offgrid.app.screens.ChecklistScreen
import offgrid.app.screens.CoverageScreen
import offgrid.app.screens.HazardScreen
import offgrid.app.screens.HomeScreen
import offgrid.app.screens.PatrolRunScreen
import offgrid.app.screens.RecordListScreen
import offgrid.app.screens.ReviewScreen
import offgrid.app.screens.SyncScreen
import offgrid.presentation.ChecklistStateHolder
import offgrid.presentation.CoverageStateHolder
import offgrid.presentation.HazardStateHolder
import offgrid.presentation.HomeStateHolder
import offgrid.presentation.ListKind
import offgrid.presentation.PatrolRunStateHolder
import offgrid.presentation.RecordListStateHolder
import offgrid.presentation.ReviewStateHolder
import offgrid.presentation.SyncStateHolder

class MainActivity : ComponentActivity() {
    private val gateway get() = (application as OffgridApplication).gateway
    internal val nfc = NfcScans()

    private val permissions =
        registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { } // a refusal leaves photos from the gallery and scans by NFC; nothing else depends on it

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val missing = arrayOf(Manifest.permission.CAMERA, Manifest.permission.ACCESS_FINE_LOCATION)
            .filter { ContextCompat.checkSelfPermission(this, it) != PackageManager.PERMISSION_GRANTED }
        if (missing.isNotEmpty()) permissions.launch(missing.toTypedArray())
        setContent { MaterialTheme { Navigation() } }
    }

    override fun onResume() {
        super.onResume()
        NfcAdapter.getDefaultAdapter(this)?.let { nfc.enable(this, it) }
    }

    override fun onPause() {
        NfcAdapter.getDefaultAdapter(this)?.disableReaderMode(this)
        super.onPause()
    }

    @Composable
    private fun <H : AutoCloseable> holder(key: String, make: (kotlinx.coroutines.CoroutineScope) -> H): H =
        viewModel(key = key) { HolderViewModel(make) }.holder

    @Composable
    private fun Navigation() {
        val nav = rememberNavController()
        NavHost(nav, startDestination = "home") {
            composable("home") {
                HomeScreen(holder("home") { HomeStateHolder(gateway, it) }, navigate = nav::navigate)
            }
            composable("list/{kind}") { entry ->
                val kind = ListKind.valueOf(entry.arguments?.getString("kind") ?: "HAZARDS")
                RecordListScreen(holder("list/$kind") { RecordListStateHolder(gateway, it, kind) }, kind, navigate = nav::navigate)
            }
            composable("checklist/{id}") { entry ->
                val id = entry.arguments?.getString("id").orEmpty()
                ChecklistScreen(holder("checklist/$id") { ChecklistStateHolder(gateway, it, id) }, openReview = { nav.navigate("review/$id") })
            }
            composable("review/{id}") { entry ->
                val id = entry.arguments?.getString("id").orEmpty()
                ReviewScreen(holder("review/$id") { ReviewStateHolder(gateway, it, id) })
            }
            composable("hazard/{id}") { entry ->
                val id = entry.arguments?.getString("id").orEmpty()
                HazardScreen(holder("hazard/$id") { HazardStateHolder(gateway, it, id) })
            }
            composable("patrol/{id}") { entry ->
                val id = entry.arguments?.getString("id").orEmpty()
                val run = holder("patrol/$id") { PatrolRunStateHolder(gateway, it, id) }
                nfc.target = run
                PatrolRunScreen(run)
            }
            composable("coverage") {
                CoverageScreen(holder("coverage") { CoverageStateHolder.thisMonth(gateway, it) })
            }
            composable("sync") {
                SyncScreen(holder("sync") { SyncStateHolder(gateway, it) }, syncNow = { SyncWorker.now(this@MainActivity) })
            }
        }
    }
}
