//! The photo pipeline: photos are the evidence of every finding and rectification.
//!
//! [`process`] takes the original bytes (JPEG or PNG; HEIC and anything else are refused with an
//! error naming the format) and returns:
//! - the identity: SHA-256 of the original bytes, which are kept unmodified (they are the
//!   evidence);
//! - the EXIF fields that matter ([`ExifData`]);
//! - an upload copy (long edge 2048, JPEG q80 4:2:0) and a thumbnail (long edge 256, made from
//!   the upload copy), both turned upright per the EXIF orientation.
//!
//! Memory is bounded: the dimensions are read from the headers first; images above
//! [`PhotoLimits::max_pixels`] (PNGs: above [`PhotoLimits::full_decode_pixels`]) are refused
//! before any pixel buffer exists, and JPEGs above `full_decode_pixels` are decoded at a reduced
//! DCT scale. Then the peak memory of decoding, resizing and encoding is estimated from the
//! headers (progressive or baseline, sampling, bit depth, interlacing: `budget`) and held to
//! [`PhotoLimits::max_decode_bytes`] (150 MB): a JPEG that does not fit at full size is decoded
//! at a reduced scale if that fits, and anything else is refused with
//! [`crate::Error::ImageTooLarge`] saying why, before decoding (issue 28: a 214-byte progressive
//! JPEG claiming 14,000×14,000 pixels asked for 1.2 GB). The peak is about 3 bytes per decoded
//! pixel plus the resizer's buffer: ≈ 73 MB for the whole process on a 12 MP photo, and no more
//! for 48 MP (see `docs/benchmarks.md`).
//!
//! Storing the files and the metadata is the store's job (`store::blobs`, `Store::add_photo`).

#[cfg(feature = "photo-pipeline")]
mod attach;
#[cfg(feature = "photo-pipeline")]
pub(crate) mod budget;
#[cfg(feature = "photo-pipeline")]
pub(crate) mod decode;
#[cfg(feature = "photo-pipeline")]
pub(crate) mod encode;
pub mod exif;
pub(crate) mod format;
#[cfg(feature = "photo-pipeline")]
mod pipeline;
#[cfg(feature = "photo-pipeline")]
pub(crate) mod transform;

use serde::{Deserialize, Serialize};

#[cfg(feature = "photo-pipeline")]
pub use attach::{CaptureContext, PhotoMeta, PhotoTarget};
pub use exif::ExifData;
pub use format::Format;
#[cfg(feature = "photo-pipeline")]
pub use pipeline::{PhotoLimits, Processed, peak_estimate, process, process_observed};
/// Pixels and turning them upright, for those who make test photos (`offgrid-testkit`).
#[cfg(feature = "photo-pipeline")]
pub use {decode::Rgb, transform::orient};

/// A position: from the phone's location service (the shell) or from EXIF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GpsFix {
    pub lat: f64,
    pub lon: f64,
    pub altitude_m: Option<f64>,
    /// Horizontal accuracy in metres, when the source reports it.
    pub accuracy_m: Option<f64>,
}

/// Facts about an original image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PhotoInfo {
    /// SHA-256 of the original bytes, lowercase hex: the photo's identity.
    pub sha256: String,
    /// "jpeg" or "png".
    pub format: String,
    pub bytes: u64,
    /// Dimensions of the original as stored (before orientation).
    pub width: u32,
    pub height: u32,
    /// Dimensions of the upright upload copy and thumbnail.
    pub upload_width: u32,
    pub upload_height: u32,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub exif: Option<ExifData>,
}

pub use offgrid_protocol::sha256_hex;
