//! `uniffi-bindgen`: generates the Kotlin, Swift and Python bindings of `offgrid-ffi` from the
//! compiled library (library mode). Run through `bindings/generate`, never by hand, so the
//! bindings always match the library they were generated from.

fn main() {
    uniffi::uniffi_bindgen_main()
}
