//! Decoding to 8-bit RGB with a pixel limit checked from the headers, before any pixel buffer is
//! allocated (decompression bombs, 100-megapixel panoramas). JPEG (baseline, progressive,
//! CMYK/YCCK) through zune-jpeg; PNG (any bit depth, palette, alpha composited on white) through
//! zune-png. Every failure is a typed error; nothing here panics on bad input.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use super::format::Format;
use crate::error::{Error, Result};

/// An image as 8-bit RGB, row-major, no padding.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// The dimensions from the headers alone.
pub fn dimensions(bytes: &[u8], format: Format) -> Result<(u32, u32)> {
    let (w, h) = match format {
        Format::Jpeg => {
            let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options());
            d.decode_headers().map_err(|e| decode_error(format, e))?;
            d.dimensions()
                .ok_or_else(|| decode_error(format, "no dimensions"))?
        }
        Format::Png => {
            let mut d = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), options());
            d.decode_headers().map_err(|e| decode_error(format, e))?;
            d.dimensions()
                .ok_or_else(|| decode_error(format, "no dimensions"))?
        }
    };
    Ok((w as u32, h as u32))
}

/// Decodes to RGB. The caller has checked the dimensions against its pixel limit.
pub fn decode(bytes: &[u8], format: Format) -> Result<Rgb> {
    match format {
        Format::Jpeg => {
            // zune-jpeg fills a truncated image with grey; a cut-off photo is not evidence.
            if !jpeg_is_complete(bytes) {
                return Err(decode_error(
                    format,
                    "the file is truncated (no end-of-image marker)",
                ));
            }
            let opts = options().jpeg_set_out_colorspace(ColorSpace::RGB);
            let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), opts);
            let pixels = d.decode().map_err(|e| decode_error(format, e))?;
            let (w, h) = d
                .dimensions()
                .ok_or_else(|| decode_error(format, "no dimensions"))?;
            rgb(w, h, pixels, format)
        }
        Format::Png => {
            let opts = options().png_set_strip_to_8bit(true);
            let mut d = zune_png::PngDecoder::new_with_options(ZCursor::new(bytes), opts);
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

/// Decodes a JPEG at a reduced DCT scale (1/2, 1/4 or 1/8, the smallest that keeps the long
/// edge at least `min_long_edge`), so a 48 MP photo never exists at full size in memory.
pub fn decode_jpeg_scaled(bytes: &[u8], min_long_edge: u32) -> Result<Rgb> {
    let format = Format::Jpeg;
    if !jpeg_is_complete(bytes) {
        return Err(decode_error(
            format,
            "the file is truncated (no end-of-image marker)",
        ));
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
