//! # offgrid-photo
//!
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
//! [`Error::ImageTooLarge`] saying why, before decoding (issue 28: a 214-byte progressive
//! JPEG claiming 14,000×14,000 pixels asked for 1.2 GB). The peak is about 3 bytes per decoded
//! pixel plus the resizer's buffer: ≈ 73 MB for the whole process on a 12 MP photo, and no more
//! for 48 MP (see `docs/benchmarks.md`).
//!
//! Storing the files and the metadata is the device store's job (`offgrid-core`: `store::blobs`,
//! `Store::add_photo`). This crate does no I/O: bytes in, bytes out.

#![warn(missing_docs)]

mod budget;
pub mod decode;
pub mod encode;
mod error;
pub mod exif;
pub mod format;
mod pipeline;
pub mod transform;

use serde::{Deserialize, Serialize};

pub use decode::Rgb;
pub use error::{Error, Result};
pub use format::Format;
pub use offgrid_common::photo::{ExifData, GpsFix};
pub use offgrid_common::sha256_hex;
pub use pipeline::{PhotoLimits, Processed, peak_estimate, process, process_observed};
pub use transform::orient;

/// Facts about an original image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoInfo {
    /// SHA-256 of the original bytes, lowercase hex: the photo's identity.
    pub sha256: String,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// Width of the original as stored (before orientation).
    pub width: u32,
    /// Height of the original as stored (before orientation).
    pub height: u32,
    /// Width of the upright upload copy.
    pub upload_width: u32,
    /// Height of the upright upload copy.
    pub upload_height: u32,
    /// Width of the upright thumbnail.
    pub thumb_width: u32,
    /// Height of the upright thumbnail.
    pub thumb_height: u32,
    /// What the original's EXIF says, when it has any.
    pub exif: Option<ExifData>,
}
