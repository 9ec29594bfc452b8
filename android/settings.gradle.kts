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
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "offgrid"
include(":presentation", ":app")
