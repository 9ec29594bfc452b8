//! Decoding to 8-bit RGB with a pixel limit checked from the headers, before any pixel buffer is
//! allocated (decompression bombs, 100-megapixel panoramas). JPEG (baseline, progressive,
//! CMYK/YCCK) through zune-jpeg; PNG (any bit depth, palette, alpha composited on white) through
//! zune-png. Every failure is a typed error; nothing here panics on bad input.
//!
//! Every decoding function here first works out from the headers what the decoder will allocate
//! (`budget`) and refuses with [`Error::ImageTooLarge`] when that is over its memory budget
//! ([`MAX_DECODE_BYTES`] unless the caller gives one), so no input makes a decoder allocate
//! more: not a tiny progressive JPEG claiming 14,000×14,000 pixels, not a 16-bit interlaced PNG.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use crate::budget::{Header, Path};
use crate::error::{Error, Result};
use crate::format::Format;

/// The memory budget of [`decode`] and [`decode_jpeg_scaled`] (the pipeline passes
/// `PhotoLimits::max_decode_bytes`, 150 MB by default, which covers its later steps too).
pub(crate) const MAX_DECODE_BYTES: u64 = 150_000_000;

/// An image as 8-bit RGB, row-major, no padding.
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 3` bytes: red, green, blue.
    pub pixels: Vec<u8>,
}

/// Decodes to RGB within [`MAX_DECODE_BYTES`]. The caller has checked the dimensions against its
/// pixel limit. (Documents: whether an image in a record decodes.)
pub fn decode(bytes: &[u8], format: Format) -> Result<Rgb> {
    decode_within(bytes, format, MAX_DECODE_BYTES)
}

/// The headers, once the decoder's estimated peak along `path` is known to be within
/// `max_bytes`; otherwise the typed refusal, before anything is decoded.
fn within_budget(bytes: &[u8], format: Format, path: Path, max_bytes: u64) -> Result<Header> {
    let header = Header::read(bytes, format)?;
    let needs = |h: &Header| h.estimate(path, u32::MAX).decode;
    let estimate = needs(&header);
    if estimate > max_bytes {
        return Err(header.refusal(estimate, max_bytes, |h| needs(h) <= max_bytes));
    }
    Ok(header)
}

/// [`decode`] with the decoder's peak memory kept within `max_bytes`.
pub(crate) fn decode_within(bytes: &[u8], format: Format, max_bytes: u64) -> Result<Rgb> {
    match format {
        Format::Jpeg => {
            // zune-jpeg fills a truncated image with grey; a cut-off photo is not evidence.
            if !jpeg_is_complete(bytes) {
                return Err(decode_error(
                    format,
                    "the file is truncated (no end-of-image marker)",
                ));
            }
            within_budget(bytes, format, Path::Full, max_bytes)?;
            let opts = options().jpeg_set_out_colorspace(ColorSpace::RGB);
            let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), opts);
            let pixels = d.decode().map_err(|e| decode_error(format, e))?;
            let (w, h) = d
                .dimensions()
                .ok_or_else(|| decode_error(format, "no dimensions"))?;
            rgb(w, h, pixels, format)
        }
        Format::Png => {
            within_budget(bytes, format, Path::Full, max_bytes)?;
            let bytes = without_compressed_metadata(bytes);
            let opts = options().png_set_strip_to_8bit(true);
            let mut d = zune_png::PngDecoder::new_with_options(ZCursor::new(&bytes[..]), opts);
            d.decode_headers().map_err(|e| decode_error(format, e))?;
            let colorspace = d
                .colorspace()
                .ok_or_else(|| decode_error(format, "no colour space"))?;
            let raw = d.decode_raw().map_err(|e| decode_error(format, e))?;
            let (w, h) = d
                .dimensions()
                .ok_or_else(|| decode_error(format, "no dimensions"))?;
            let pixels = to_rgb(raw, colorspace).ok_or_else(|| {
                decode_error(format, format!("unsupported colour space {colorspace:?}"))
            })?;
            rgb(w, h, pixels, format)
        }
    }
}

/// The PNG without its iCCP and zTXt chunks, which zune-png inflates while reading its headers
/// with nothing but a 1 GiB limit per chunk (deflate packs up to 1032 bytes into one: a 1 MB
/// chunk could ask for 1 GB). Neither is used here (colours are taken as sRGB, text is not
/// read). Every other chunk is kept byte for byte; without such chunks, the bytes themselves.
fn without_compressed_metadata(png: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let chunks = || {
        let mut at = 8;
        std::iter::from_fn(move || {
            let header = png.get(at..at + 8)?;
            let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
            let kind = [header[4], header[5], header[6], header[7]];
            let end = (at + 12).saturating_add(len).min(png.len());
            let chunk = (kind, at..end);
            at = end;
            Some(chunk)
        })
    };
    let compressed = |kind: &[u8; 4]| kind == b"iCCP" || kind == b"zTXt";
    if !chunks().any(|(kind, _)| compressed(&kind)) {
        return std::borrow::Cow::Borrowed(png);
    }
    let mut out = png[..8.min(png.len())].to_vec();
    let mut end = 8;
    for (kind, range) in chunks() {
        end = range.end;
        if !compressed(&kind) {
            out.extend_from_slice(&png[range]);
        }
    }
    // Whatever follows the last whole chunk header (a damaged tail) stays as it was.
    out.extend_from_slice(&png[end.min(png.len())..]);
    std::borrow::Cow::Owned(out)
}

/// Whether the JPEG's entropy-coded data is followed by its end-of-image marker. Walks the
/// marker segments to the first start-of-scan (skipping APP segments, whose embedded EXIF
/// thumbnail has markers of its own), then looks for EOI after it: scan data cannot contain
/// `FF D9` (an `FF` there is always stuffed as `FF 00`).
fn jpeg_is_complete(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return false;
        }
        match b[i + 1] {
            0xFF => i += 1,
            0xDA => return b[i..].windows(2).any(|w| w == [0xFF, 0xD9]),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => i += 2 + usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]])),
        }
    }
    false
}

/// Decodes a baseline JPEG at a reduced DCT scale (1/2, 1/4 or 1/8, the smallest that keeps
/// the long edge at least `min_long_edge`), so a 48 MP photo never exists at full size in
/// memory; within [`MAX_DECODE_BYTES`]. A progressive JPEG is decoded at full size (its
/// coefficients are held at full size whatever the scale). (Documents: their copies of the
/// photos.)
pub fn decode_jpeg_scaled(bytes: &[u8], min_long_edge: u32) -> Result<Rgb> {
    decode_jpeg_scaled_within(bytes, min_long_edge, MAX_DECODE_BYTES)
}

/// [`decode_jpeg_scaled`] with the decoder's peak memory kept within `max_bytes`.
pub(crate) fn decode_jpeg_scaled_within(
    bytes: &[u8],
    min_long_edge: u32,
    max_bytes: u64,
) -> Result<Rgb> {
    let format = Format::Jpeg;
    if !jpeg_is_complete(bytes) {
        return Err(decode_error(
            format,
            "the file is truncated (no end-of-image marker)",
        ));
    }
    let header = within_budget(bytes, format, Path::Scaled { min_long_edge }, max_bytes)?;
    if let Header::Jpeg(j) = &header {
        if j.progressive {
            // jpeg-decoder would hold the coefficients at full size whatever the scale, and
            // queue copies of them for its worker threads: zune-jpeg's full-size decode costs
            // little more, and exactly what the budget allowed.
            return decode_within(bytes, format, max_bytes);
        }
        if j.components.len() == 4 {
            // Refused before decoding: jpeg-decoder's CMYK output is not converted here.
            return Err(decode_error(
                format,
                "CMYK JPEGs this large are not supported",
            ));
        }
    }
    let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    let edge = u16::try_from(min_long_edge).unwrap_or(u16::MAX);
    let (w, h) = d.scale(edge, edge).map_err(|e| decode_error(format, e))?;
    let raw = d.decode().map_err(|e| decode_error(format, e))?;
    let info = d
        .info()
        .ok_or_else(|| decode_error(format, "no image information"))?;
    let pixels = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => raw,
        jpeg_decoder::PixelFormat::L8 => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        other => {
            return Err(decode_error(
                format,
                format!("{other:?} JPEGs this large are not supported"),
            ));
        }
    };
    rgb(usize::from(w), usize::from(h), pixels, format)
}

fn options() -> DecoderOptions {
    // The pixel limit is ours (see `PhotoLimits`); the decoders' own limits only guard sizes.
    DecoderOptions::default()
        .set_max_width(1 << 16)
        .set_max_height(1 << 16)
        .set_strict_mode(false)
}

fn rgb(w: usize, h: usize, pixels: Vec<u8>, format: Format) -> Result<Rgb> {
    if w == 0 || h == 0 || pixels.len() < w * h * 3 {
        return Err(decode_error(format, "image data is incomplete"));
    }
    Ok(Rgb {
        width: w as u32,
        height: h as u32,
        pixels,
    })
}

/// Converts 8-bit samples in `colorspace` to RGB; alpha is composited over white (a transparent
/// screenshot reads as on paper).
fn to_rgb(raw: Vec<u8>, colorspace: ColorSpace) -> Option<Vec<u8>> {
    let over_white = |c: u8, a: u8| -> u8 {
        let (c, a) = (u16::from(c), u16::from(a));
        ((c * a + 255 * (255 - a) + 127) / 255) as u8
    };
    Some(match colorspace {
        ColorSpace::RGB => raw,
        ColorSpace::RGBA => raw
            .chunks_exact(4)
            .flat_map(|p| [0, 1, 2].map(|i| over_white(p[i], p[3])))
            .collect(),
        ColorSpace::Luma => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        ColorSpace::LumaA => raw
            .chunks_exact(2)
            .flat_map(|p| {
                let l = over_white(p[0], p[1]);
                [l, l, l]
            })
            .collect(),
        _ => return None,
    })
}

fn decode_error(format: Format, e: impl std::fmt::Display) -> Error {
    Error::ImageDecode {
        format: format.as_str().into(),
        reason: e.to_string(),
    }
}
