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
//! DCT scale. The peak is about 3 bytes per decoded pixel plus the resizer's buffer: ≈ 73 MB
//! for the whole process on a 12 MP photo, and no more for 48 MP (see `docs/benchmarks.md`).
//!
//! Storing the files and the metadata is the store's job (`store::blobs`, `Store::add_photo`).

mod attach;
mod decode;
mod encode;
pub mod exif;
mod format;
pub mod sample;
mod transform;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use attach::{CaptureContext, PhotoMeta, PhotoTarget};
pub use exif::ExifData;
pub use format::Format;

use crate::error::{Error, Result};

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

/// Sizes and limits of the pipeline.
#[derive(Clone, Debug)]
pub struct PhotoLimits {
    /// Larger images are refused, from their headers, before decoding.
    pub max_pixels: u64,
    /// Larger JPEGs are decoded at a reduced DCT scale (1/2, 1/4, 1/8) that still covers the
    /// upload size, so a 48 MP photo costs the memory of a 12 MP one. PNGs (no scaled
    /// decoding) above it are refused.
    pub full_decode_pixels: u64,
    pub upload_long_edge: u32,
    pub thumb_long_edge: u32,
    pub quality: u8,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_pixels: 200_000_000,
            full_decode_pixels: 16_000_000,
            upload_long_edge: 2048,
            thumb_long_edge: 256,
            quality: 80,
        }
    }
}

/// What processing one photo produced.
#[derive(Clone, Debug)]
pub struct Processed {
    pub info: PhotoInfo,
    pub upload: Vec<u8>,
    pub thumb: Vec<u8>,
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

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::doc::json::hex(&Sha256::digest(bytes))
}

/// Runs the whole pipeline on one original image.
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<Processed> {
    process_observed(bytes, limits, &mut |_, _| {})
}

/// [`process`], reporting how long each step took (for `offgrid bench photo`).
pub fn process_observed(
    bytes: &[u8],
    limits: &PhotoLimits,
    step: &mut dyn FnMut(&'static str, Duration),
) -> Result<Processed> {
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        let now = Instant::now();
        step(name, now - clock);
        clock = now;
    };
    let format = format::sniff(bytes).map_err(|what| Error::UnsupportedImage {
        format: what.into(),
    })?;
    let (width, height) = decode::dimensions(bytes, format)?;
    let pixels = u64::from(width) * u64::from(height);
    let scaled = pixels > limits.full_decode_pixels;
    let max_pixels = match format {
        Format::Jpeg => limits.max_pixels,
        Format::Png => limits.full_decode_pixels.min(limits.max_pixels),
    };
    if pixels == 0 || pixels > max_pixels {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels,
        });
    }
    let exif = exif::read(bytes);
    let orientation = exif.as_ref().map_or(1, |e| e.orientation);
    lap("headers_exif");
    // The hash runs on a second core while this one decodes and resizes.
    let (sha256, derived) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| sha256_hex(bytes));
        let derived = (|| -> Result<_> {
            let full = if scaled {
                decode::decode_jpeg_scaled(bytes, limits.upload_long_edge)?
            } else {
                decode::decode(bytes, format)?
            };
            lap("decode");
            let upload = transform::fit(full, limits.upload_long_edge)?;
            lap("resize_upload");
            let upload = transform::orient(upload, orientation);
            lap("orient");
            let upload_jpeg = encode::jpeg(&upload, limits.quality)?;
            lap("encode_upload");
            let upload_size = (upload.width, upload.height);
            let thumb = transform::fit(upload, limits.thumb_long_edge)?;
            lap("resize_thumb");
            let thumb_jpeg = encode::jpeg(&thumb, limits.quality)?;
            lap("encode_thumb");
            Ok((
                upload_jpeg,
                upload_size,
                thumb_jpeg,
                (thumb.width, thumb.height),
            ))
        })();
        let sha256 = hashing.join().unwrap_or_else(|_| sha256_hex(bytes));
        lap("sha256_wait");
        (sha256, derived)
    });
    let (upload_jpeg, (upload_width, upload_height), thumb_jpeg, (thumb_width, thumb_height)) =
        derived?;
    Ok(Processed {
        info: PhotoInfo {
            sha256,
            format: format.as_str().into(),
            bytes: bytes.len() as u64,
            width,
            height,
            upload_width,
            upload_height,
            thumb_width,
            thumb_height,
            exif,
        },
        upload: upload_jpeg,
        thumb: thumb_jpeg,
    })
}
