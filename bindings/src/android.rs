//! Android only: the platform TLS verifier (rustls-platform-verifier) checks certificates with
//! Android's trust manager through JNI, and needs the application context once, before the
//! first sync. The app calls `offgrid.app.PlatformTls.init(context)` from
//! `Application.onCreate`, which lands here. (Compiled for Android only; checked with
//! `tests/android/check-jni`.)

use jni::JNIEnv;
use jni::objects::{JClass, JObject};

/// `offgrid.app.PlatformTls.init(Context)`. A failure is logged; syncs then fail with a TLS
/// setup error instead of crashing the app.
#[unsafe(no_mangle)]
pub extern "system" fn Java_offgrid_app_PlatformTls_init(
    mut env: JNIEnv,
    _class: JClass,
    context: JObject,
) {
    if let Err(e) = rustls_platform_verifier::android::init_hosted(&mut env, context) {
        tracing::error!(target: "offgrid_ffi", error = %e, "the platform TLS verifier did not start");
    }
}
