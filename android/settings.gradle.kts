// The Offgrid Android app: `presentation` (plain Kotlin/JVM: gateway, state holders; unit-tested
// on the JVM against the real library) and `app` (Compose screens that render and forward).
// Run ./build-rust.sh first: it builds the native libraries and generates the Kotlin bindings.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
// rustls-platform-verifier ships its Android half (the Kotlin that calls the trust manager) as a
// local Maven repository inside its crate; cargo metadata says where the crate is.
fun rustlsPlatformVerifierMaven(): String {
    val metadata = providers.exec {
        workingDir = file("..")
        commandLine("cargo", "metadata", "--format-version", "1", "--filter-platform", "aarch64-linux-android")
    }.standardOutput.asText.get()
    @Suppress("UNCHECKED_CAST")
    val packages = (groovy.json.JsonSlurper().parseText(metadata) as Map<String, Any>)["packages"] as List<Map<String, Any>>
    val manifest = packages.first { it["name"] == "rustls-platform-verifier-android" }["manifest_path"] as String
    return File(File(manifest).parentFile, "maven").path
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        maven {
            url = uri(rustlsPlatformVerifierMaven())
            metadataSources.artifact()
        }
    }
}
rootProject.name = "offgrid"
include(":presentation", ":app")
