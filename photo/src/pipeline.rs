//! The pipeline itself (feature `photo-pipeline`): sniff, decode, EXIF, orient, resize,
//! encode, hash beside decoding.

use std::time::{Duration, Instant};

use crate::budget::{Header, Path};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::{PhotoInfo, decode, encode, exif, format, sha256_hex, transform};

/// Sizes and limits of the pipeline.
#[derive(Clone, Debug)]
pub struct PhotoLimits {
    /// Larger images are refused, from their headers, before decoding.
    pub max_pixels: u64,
    /// Larger baseline JPEGs are decoded at a reduced DCT scale (1/2, 1/4, 1/8) that still
    /// covers the upload size, so a 48 MP photo costs the memory of a 12 MP one. PNGs (no
    /// scaled decoding) above it are refused.
    pub full_decode_pixels: u64,
    /// The most memory processing one photo may take (decoding, resizing, encoding), in bytes;
    /// 150 MB by default, which a phone spares. The peak is estimated from the headers before
    /// decoding: an image whose decoding does not fit is decoded at a reduced scale if that
    /// fits, or refused ([`Error::ImageTooLarge`], saying why). A progressive JPEG needs its
    /// coefficients at full size (2 bytes a sample) whatever the scale, so progressive JPEGs
    /// fit up to about 24 MP (4:2:0) or 16 MP (4:4:4); baseline 4:2:0 ones up to `max_pixels`,
    /// 4:4:4 ones up to about 130 MP.
    pub max_decode_bytes: u64,
    /// The upload copy's long edge in pixels (2048).
    pub upload_long_edge: u32,
    /// The thumbnail's long edge in pixels (256).
    pub thumb_long_edge: u32,
    /// JPEG quality of the derived copies (80).
    pub quality: u8,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_pixels: 200_000_000,
            full_decode_pixels: 16_000_000,
            max_decode_bytes: decode::MAX_DECODE_BYTES,
            upload_long_edge: 2048,
            thumb_long_edge: 256,
            quality: 80,
        }
    }
}

/// The decoding path for an image whose headers are `header`, and its estimated peak: the
/// full-size decoder up to `full_decode_pixels` (baseline JPEGs above it at a reduced scale),
/// or, when that is over the memory budget, a baseline JPEG at a reduced scale if that fits;
/// otherwise the refusal. Progressive and CMYK JPEGs are decoded at full size or refused.
fn choose_path(header: &Header, format: Format, limits: &PhotoLimits) -> Result<(Path, u64)> {
    let scaled = Path::Scaled {
        min_long_edge: limits.upload_long_edge,
    };
    let candidates = |h: &Header| -> Vec<Path> {
        let (w, h_) = h.dimensions();
        // Progressive JPEGs: their coefficients are held at full size at any scale, so the
        // full-size decoder (single-threaded, exactly bounded) costs little more. CMYK:
        // jpeg-decoder's CMYK output is not converted here.
        let full_only = matches!(h, Header::Jpeg(j) if j.progressive || j.components.len() == 4);
        match format {
            Format::Png => vec![Path::Full],
            Format::Jpeg if full_only => vec![Path::Full],
            Format::Jpeg if u64::from(w) * u64::from(h_) > limits.full_decode_pixels => {
                vec![scaled]
            }
            Format::Jpeg => vec![Path::Full, scaled],
        }
    };
    let needs = |h: &Header, path: Path| h.estimate(path, limits.upload_long_edge).pipeline;
    let budget = limits.max_decode_bytes;
    let options = candidates(header);
    if let Some((path, peak)) = options
        .iter()
        .map(|&p| (p, needs(header, p)))
        .find(|&(_, peak)| peak <= budget)
    {
        return Ok((path, peak));
    }
    let least = options
        .iter()
        .map(|&p| needs(header, p))
        .min()
        .unwrap_or(u64::MAX);
    let fits = |h: &Header| candidates(h).into_iter().any(|p| needs(h, p) <= budget);
    Err(match header.refusal(least, budget, fits) {
        Error::ImageTooLarge {
            width,
            height,
            max_pixels,
            detail,
        } => Error::ImageTooLarge {
            width,
            height,
            max_pixels: max_pixels.min(limits.max_pixels),
            detail,
        },
        other => other,
    })
}

/// What processing one photo produced.
#[derive(Clone, Debug)]
pub struct Processed {
    /// Facts about the original.
    pub info: PhotoInfo,
    /// The upright upload copy (JPEG).
    pub upload: Vec<u8>,
    /// The upright thumbnail (JPEG).
    pub thumb: Vec<u8>,
}

/// What the pipeline checks from the headers before decoding: the format, the dimensions, the
/// decoding path and its estimated peak memory; or the typed refusal.
fn plan(bytes: &[u8], limits: &PhotoLimits) -> Result<(Format, u32, u32, Path, u64)> {
    let format = format::sniff(bytes).map_err(|what| Error::UnsupportedImage {
        format: what.into(),
    })?;
    // Our own reading of the headers, not the decoders': zune-png inflates compressed metadata
    // while reading its headers, and that too must be counted first.
    let header = Header::read(bytes, format)?;
    let (width, height) = header.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    let max_pixels = match format {
        Format::Jpeg => limits.max_pixels,
        Format::Png => limits.full_decode_pixels.min(limits.max_pixels),
    };
    if pixels == 0 || pixels > max_pixels {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels,
            detail: String::new(),
        });
    }
    // The memory: estimated from the headers before any pixel buffer exists.
    let (path, peak) = choose_path(&header, format, limits)?;
    Ok((format, width, height, path, peak))
}

/// The peak memory (bytes allocated at once) that [`process`] estimates, from the headers alone,
/// for these bytes: at most `limits.max_decode_bytes`. Images it would refuse get the same
/// error here.
pub fn peak_estimate(bytes: &[u8], limits: &PhotoLimits) -> Result<u64> {
    plan(bytes, limits).map(|(.., peak)| peak)
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
    let (format, width, height, path, _) = plan(bytes, limits)?;
    let exif = exif::read(bytes);
    let orientation = exif.as_ref().map_or(1, |e| e.orientation);
    lap("headers_exif");
    // The hash runs on a second core while this one decodes and resizes.
    let (sha256, derived) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| sha256_hex(bytes));
        let derived = (|| -> Result<_> {
            let budget = limits.max_decode_bytes;
            let full = match path {
                Path::Scaled { min_long_edge } => {
                    decode::decode_jpeg_scaled_within(bytes, min_long_edge, budget)?
                }
                Path::Full => decode::decode_within(bytes, format, budget)?,
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
