//! A photo as its record holds it ([`PhotoMeta`]): who attached it and when, what the shell
//! said about the capture, what its EXIF says, and the image facts.

use serde::{Deserialize, Serialize};

use offgrid_common::photo::{ExifData, GpsFix};

/// What the shell knows about the capture (the camera's EXIF may say otherwise: both are kept).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureContext {
    /// When the shell took or received the photo (device clock, UTC ms).
    pub captured_ms: Option<i64>,
    /// The device's UTC offset in minutes east at capture (480 in China).
    pub offset_minutes: Option<i32>,
    /// The phone's location fix, if it had one (rarely underground).
    pub gps: Option<GpsFix>,
}

/// A photo as recorded in its record: who attached it and when, what the shell said, what the
/// EXIF says, and the image facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoMeta {
    /// SHA-256 of the original bytes, lowercase hex: the photo's identity.
    pub sha256: String,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// Width of the original in pixels, as stored (before orientation).
    pub width: u32,
    /// Height of the original in pixels, as stored (before orientation).
    pub height: u32,
    /// The inspection item it answers.
    #[serde(default)]
    pub item: Option<String>,
    /// Hazards: "found" or "rectification".
    #[serde(default)]
    pub stage: Option<String>,
    /// The user id of who attached it.
    pub by: String,
    /// Their name as shown when attaching (empty if not recorded).
    #[serde(default)]
    pub by_name: String,
    /// When it was attached (store clock) and the device's offset.
    pub at_ms: i64,
    /// The attaching device's UTC offset in minutes east.
    #[serde(default)]
    pub offset_minutes: i32,
    /// What the shell reported about the capture.
    #[serde(default)]
    pub capture: CaptureContext,
    /// What the original's EXIF says, when it has any.
    #[serde(default)]
    pub exif: Option<ExifData>,
}
