//! What a photo's capture is recorded as: a position, and the EXIF fields that matter as
//! evidence. Plain data: reading them from an image is `offgrid-photo`'s.

use serde::{Deserialize, Serialize};

/// A position: from the phone's location service (the shell) or from EXIF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpsFix {
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Altitude in metres, when known.
    pub altitude_m: Option<f64>,
    /// Horizontal accuracy in metres, when the source reports it.
    pub accuracy_m: Option<f64>,
}

/// What the image's EXIF says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExifData {
    /// DateTimeOriginal as written, `YYYY-MM-DDTHH:MM:SS` (local time of the camera).
    pub taken_local: Option<String>,
    /// OffsetTimeOriginal in minutes east of UTC, when the camera wrote it.
    pub taken_offset_minutes: Option<i32>,
    /// The moment in UTC ms, when both the time and its offset are known.
    pub taken_unix_ms: Option<i64>,
    /// Where, when the camera wrote a GPS position.
    pub gps: Option<GpsFix>,
    /// 1–8 (1 = upright). Already applied to the derived images.
    pub orientation: u8,
    /// The camera's maker.
    pub make: Option<String>,
    /// The camera's model.
    pub model: Option<String>,
}
