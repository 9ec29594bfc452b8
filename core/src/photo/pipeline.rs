//! The pipeline itself (feature `photo-pipeline`): sniff, decode, EXIF, orient, resize,
//! encode, hash beside decoding.

use std::time::{Duration, Instant};

use super::format::Format;
use super::{PhotoInfo, decode, encode, exif, format, sha256_hex, transform};
use crate::error::{Error, Result};

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
