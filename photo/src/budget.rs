//! What decoding an image will cost in memory, worked out from its headers alone, before any
//! pixel buffer exists (issue 28: a 214-byte progressive JPEG claiming 14,000×14,000 pixels
//! made the decoders allocate 1.2 GB).
//!
//! The figures model what the decoders allocate, from their source:
//! - zune-jpeg (the full-size decode): the RGB output (3 bytes a pixel), plus, for progressive
//!   JPEGs and baseline JPEGs whose first scan does not hold every component, the DCT
//!   coefficients of the whole image (2 bytes per coefficient, every component at its own
//!   sampling, padded to whole MCUs);
//! - jpeg-decoder (the reduced-scale decode of baseline JPEGs, `decode_jpeg_scaled`): the planes
//!   and the output at the reduced size. It hands rows of coefficients to one worker thread per
//!   component through unbounded channels, so rows queue while a worker lags: the one figure
//!   here that depends on scheduling, see [`queue_allowance`]. Progressive JPEGs never go this
//!   way: jpeg-decoder would hold their coefficients at full size whatever the scale *and* queue
//!   copies of them, so they are decoded by zune-jpeg (single-threaded, its peak is exact) or
//!   refused;
//! - zune-png: the output (16-bit samples until they are stripped to 8), the inflated data,
//!   which the inflater grows by doubling near its end (so up to three times its size hint
//!   while it reallocates), the compressed data, and, for interlaced images, a second image.
//!   Its headers' compressed metadata (iCCP, zTXt), which it would inflate with a 1 GiB limit
//!   per chunk, is taken out of the file before it reads it;
//! - after decoding: the resize (the source, a temporary of the source width × the upload
//!   height, the upload copy), orientation (two upload copies), encoding.
//!
//! The pipeline compares the estimate with [`super::PhotoLimits::max_decode_bytes`] and
//! decodes at a reduced scale, or refuses with [`Error::ImageTooLarge`] naming the reason, when
//! it does not fit. `core/tests/photo_memory.rs` checks the figures against a counting
//! allocator.

use crate::error::{Error, Result};
use crate::format::Format;

/// Rows of coefficients jpeg-decoder may hold in its channels while its worker threads lag
/// behind the entropy decoding: an eighth of the image's coefficients, at least 40 MiB (and no
/// more than all of them). How far the workers lag depends on how long they wait for a core
/// more than on the image: the worst measured (`core/tests/photo_memory.rs`, a 16,000×12,000
/// baseline JPEG of zero bits, which decodes as fast as entropy decoding can go, on two cores
/// shared with three busy loops) was 56 MB, a twentieth of its 1.15 GB of coefficients; an
/// 8,000×6,000 one, on two cores shared with two fuzzers and a test run, held 26 MB, a fifth of
/// its 144 MB (above the 24 MiB this floor was before); with the cores free, under 7 MB.
/// Images whose allowance does not fit are refused.
fn queue_allowance(coefficients: u64) -> u64 {
    (coefficients / 8).max(40 << 20).min(coefficients)
}

/// Small allocations besides the large buffers: tables, EXIF, row buffers of the resizer and
/// the encoder, the encoded copies.
const OVERHEAD: u64 = 4 << 20;

/// Which decoder would run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// The whole image at full size (zune-jpeg, zune-png).
    Full,
    /// A JPEG at the smallest DCT scale (1/2, 1/4, 1/8) that keeps the long edge at least this
    /// long (jpeg-decoder).
    Scaled { min_long_edge: u32 },
}

/// What a JPEG's headers say, up to its first scan.
#[derive(Clone, Debug)]
pub(crate) struct JpegHeader {
    pub width: u32,
    pub height: u32,
    /// SOF2.
    pub progressive: bool,
    /// Sampling factors (horizontal, vertical) of each component.
    pub components: Vec<(u8, u8)>,
    /// How many components the first scan holds (fewer than all: a non-interleaved image).
    pub first_scan: usize,
    /// What the decoders may copy out of the segments before the first scan (ICC profile,
    /// EXIF, XMP, reassembled): twice their size.
    pub copied: u64,
}

/// What a PNG's headers say.
#[derive(Clone, Debug)]
pub(crate) struct PngHeader {
    pub width: u32,
    pub height: u32,
    pub depth: u8,
    pub colour_type: u8,
    pub interlaced: bool,
    /// A tRNS chunk: the decoder adds an alpha channel.
    pub transparency: bool,
    /// The compressed image data (IDAT and fdAT chunks), which the decoder copies out.
    pub data_bytes: u64,
    /// What else is copied: the other chunks (text, EXIF; twice their size, as buffers grow),
    /// and the file itself when its compressed metadata is taken out (see `decode`).
    pub copied: u64,
}

#[derive(Clone, Debug)]
pub(crate) enum Header {
    Jpeg(JpegHeader),
    Png(PngHeader),
}

/// The peak memory of decoding an image and of the whole pipeline after it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Estimate {
    /// The decoder alone, until it returns the RGB image.
    pub decode: u64,
    /// Decoding, resizing, orienting and encoding.
    pub pipeline: u64,
}

impl Header {
    pub(crate) fn read(bytes: &[u8], format: Format) -> Result<Header> {
        let header = match format {
            Format::Jpeg => jpeg_header(bytes).map(Header::Jpeg),
            Format::Png => png_header(bytes).map(Header::Png),
        }?;
        let (w, h) = header.dimensions();
        if w == 0 || h == 0 {
            return Err(Error::ImageDecode {
                format: format.as_str().into(),
                reason: "the image has no pixels".into(),
            });
        }
        Ok(header)
    }

    pub(crate) fn dimensions(&self) -> (u32, u32) {
        match self {
            Header::Jpeg(h) => (h.width, h.height),
            Header::Png(h) => (h.width, h.height),
        }
    }

    /// The estimate for decoding along `path` and making an upload copy of `upload_long_edge`.
    pub(crate) fn estimate(&self, path: Path, upload_long_edge: u32) -> Estimate {
        let copied = match self {
            Header::Jpeg(j) => j.copied,
            Header::Png(p) => p.copied,
        };
        // The decoder's peak, the size of the image it returns, and the bytes that image holds.
        let (decode, (w, h), held) = match (self, path) {
            // Progressive JPEGs are decoded at full size (see `decode_jpeg_scaled`).
            (Header::Jpeg(j), Path::Full)
            | (
                Header::Jpeg(
                    j @ JpegHeader {
                        progressive: true, ..
                    },
                ),
                _,
            ) => {
                let (w, h) = (j.width, j.height);
                (zune_jpeg(j), (w, h), u64::from(w) * u64::from(h) * 3)
            }
            (Header::Jpeg(j), Path::Scaled { min_long_edge }) => {
                let eighths = dct_scale(j.width, j.height, min_long_edge);
                let w = (u64::from(j.width) * eighths).div_ceil(8) as u32;
                let h = (u64::from(j.height) * eighths).div_ceil(8) as u32;
                (
                    jpeg_decoder(j, eighths),
                    (w, h),
                    u64::from(w) * u64::from(h) * 3,
                )
            }
            // PNGs have no reduced-scale decoding.
            (Header::Png(p), _) => {
                let (decode, held) = zune_png(p);
                (decode, (p.width, p.height), held)
            }
        };
        // The metadata copied out of the file stays with the decoder, then with the EXIF.
        let decode = decode + OVERHEAD + copied;
        Estimate {
            decode,
            pipeline: decode.max(after_decoding(w, h, held, upload_long_edge) + OVERHEAD + copied),
        }
    }

    /// What kind of image this is, for the refusal: "a progressive JPEG (4:4:4)".
    pub(crate) fn kind(&self) -> String {
        match self {
            Header::Jpeg(j) => {
                let sampling = match j.components.as_slice() {
                    [_] => "greyscale".to_owned(),
                    [(1, 1), (1, 1), (1, 1)] => "4:4:4".to_owned(),
                    [(2, 2), (1, 1), (1, 1)] => "4:2:0".to_owned(),
                    [(2, 1), (1, 1), (1, 1)] => "4:2:2".to_owned(),
                    [_, _, _, _] => "CMYK".to_owned(),
                    c => format!("{} components", c.len()),
                };
                let coding = if j.progressive {
                    "progressive"
                } else {
                    "baseline"
                };
                format!("a {coding} JPEG ({sampling})")
            }
            Header::Png(p) => {
                let colour = match p.colour_type {
                    0 => "greyscale",
                    2 => "RGB",
                    3 => "palette",
                    4 => "greyscale with alpha",
                    _ => "RGBA",
                };
                let interlaced = if p.interlaced { " interlaced" } else { "" };
                format!("a {}-bit{interlaced} PNG ({colour})", p.depth)
            }
        }
    }

    /// The same kind of image at `w`×`h`.
    fn resized(&self, w: u32, h: u32) -> Header {
        let mut copy = self.clone();
        match &mut copy {
            Header::Jpeg(j) => (j.width, j.height) = (w, h),
            Header::Png(p) => {
                // The compressed data shrinks with the image.
                let old = u64::from(p.width) * u64::from(p.height);
                let new = u64::from(w) * u64::from(h);
                p.data_bytes = p.data_bytes * new / old.max(1);
                (p.width, p.height) = (w, h);
            }
        }
        copy
    }

    /// The most pixels an image of this kind and shape may have for `fits` to hold (for the
    /// refusal's `max_pixels`).
    pub(crate) fn max_pixels(&self, fits: impl Fn(&Header) -> bool) -> u64 {
        let (w, h) = self.dimensions();
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..32 {
            let mid = (lo + hi) / 2.0;
            let (mw, mh) = scaled_dims(w, h, mid);
            if fits(&self.resized(mw, mh)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let (mw, mh) = scaled_dims(w, h, lo);
        u64::from(mw) * u64::from(mh)
    }

    /// The typed refusal: the image's size, the most pixels its kind fits in the budget, and
    /// the reason.
    pub(crate) fn refusal(&self, needs: u64, budget: u64, fits: impl Fn(&Header) -> bool) -> Error {
        let (width, height) = self.dimensions();
        Error::ImageTooLarge {
            width,
            height,
            max_pixels: self.max_pixels(fits),
            detail: format!(
                " for {}: decoding it needs about {}, more than the {} memory budget",
                self.kind(),
                megabytes(needs),
                megabytes(budget)
            ),
        }
    }
}

fn scaled_dims(w: u32, h: u32, t: f64) -> (u32, u32) {
    (
        ((f64::from(w) * t) as u32).max(1),
        ((f64::from(h) * t) as u32).max(1),
    )
}

/// "150 MB", "1.2 GB".
pub(crate) fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{:.1} GB", mb / 1000.0)
    } else {
        format!("{mb:.0} MB")
    }
}

/// The memory of what follows decoding an image of `w`×`h`: resizing (fast_image_resize does the
/// vertical pass first, into a temporary of the source width × the target height), turning the
/// upload copy upright (a second copy), encoding it; the thumbnail is made from the upload copy.
/// `source` is what the decoded image holds (more than 3 bytes a pixel when a 16-bit PNG's buffer
/// was kept).
fn after_decoding(w: u32, h: u32, source: u64, upload_long_edge: u32) -> u64 {
    let (w, h) = (u64::from(w), u64::from(h));
    let long = w.max(h);
    let edge = u64::from(upload_long_edge).max(1);
    let (uw, uh) = if long > edge {
        ((w * edge).div_ceil(long), (h * edge).div_ceil(long))
    } else {
        (w, h)
    };
    let upload = uw * uh * 3;
    let resize = if long > edge {
        source + w * uh * 3 + upload
    } else {
        source
    };
    resize.max(2 * upload + upload / 2)
}

/// Blocks of each component, padded to whole MCUs (both decoders pad the same way).
fn blocks(j: &JpegHeader) -> Vec<u64> {
    let (w, h) = (u64::from(j.width), u64::from(j.height));
    if let [_] = j.components.as_slice() {
        return vec![w.div_ceil(8) * h.div_ceil(8)];
    }
    let hmax = j
        .components
        .iter()
        .map(|c| u64::from(c.0))
        .max()
        .unwrap_or(1);
    let vmax = j
        .components
        .iter()
        .map(|c| u64::from(c.1))
        .max()
        .unwrap_or(1);
    let (mcux, mcuy) = (w.div_ceil(8 * hmax), h.div_ceil(8 * vmax));
    j.components
        .iter()
        .map(|&(hs, vs)| mcux * u64::from(hs) * mcuy * u64::from(vs))
        .collect()
}

/// 64 coefficients of 2 bytes per block.
fn coefficients(j: &JpegHeader) -> u64 {
    blocks(j).iter().sum::<u64>() * 128
}

/// zune-jpeg decoding the whole image to RGB.
fn zune_jpeg(j: &JpegHeader) -> u64 {
    let (w, h) = (u64::from(j.width), u64::from(j.height));
    let output = w * h * 3;
    let whole = j.progressive || j.first_scan < j.components.len();
    let coefficients = if whole { coefficients(j) } else { 0 };
    // One MCU row per component (coefficients, samples, upsampled samples), rounded up.
    let vmax = j
        .components
        .iter()
        .map(|c| u64::from(c.1))
        .max()
        .unwrap_or(1);
    let rows = (w + 64) * 8 * vmax * j.components.len() as u64 * 8;
    output + coefficients + rows
}

/// jpeg-decoder on a baseline JPEG at `eighths`/8 of the size: the rows in flight to its
/// workers, the planes and the output at the reduced size, and our conversion of greyscale to
/// RGB.
fn jpeg_decoder(j: &JpegHeader, eighths: u64) -> u64 {
    let planes: u64 = blocks(j).iter().map(|b| b * eighths * eighths).sum();
    let (ow, oh) = (
        (u64::from(j.width) * eighths).div_ceil(8),
        (u64::from(j.height) * eighths).div_ceil(8),
    );
    let output = ow * oh * j.components.len() as u64;
    let grey_to_rgb = if j.components.len() == 1 {
        ow * oh * 3
    } else {
        0
    };
    queue_allowance(coefficients(j)) + planes + output + grey_to_rgb
}

/// The scale jpeg-decoder picks (in eighths): the smallest that keeps one edge at least the
/// requested size.
pub(crate) fn dct_scale(w: u32, h: u32, min_long_edge: u32) -> u64 {
    let scaled = |len: u32, eighths: u64| (u64::from(len) * eighths).div_ceil(8);
    let want = u64::from(min_long_edge.min(u32::from(u16::MAX)));
    [1, 2, 4]
        .into_iter()
        .find(|&e| scaled(w, e) >= want || scaled(h, e) >= want)
        .unwrap_or(8)
}

/// zune-png's `decode_raw` and our conversion to RGB; and the bytes the RGB image holds.
fn zune_png(p: &PngHeader) -> (u64, u64) {
    let (w, h) = (u64::from(p.width), u64::from(p.height));
    let channels: u64 = match p.colour_type {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        _ => 4,
    };
    let out_channels: u64 = match p.colour_type {
        0 => 1,
        3 | 2 => 3,
        4 => 2,
        _ => 4,
    } + u64::from(p.transparency && matches!(p.colour_type, 0 | 2 | 3));
    let sample = if p.depth == 16 { 2 } else { 1 };
    let output = w * h * out_channels * sample;
    // The inflater's first allocation (its size hint), grown by doubling (with the old buffer
    // alive while it moves) when the data plus the slack its fast loop wants (under 300 bytes)
    // goes past it: greyscale and palette images of 8 bits, interlaced ones.
    let hint = (w + 1) * h * sample * channels;
    let grows = inflated_size(p, channels) + 300 > hint;
    let (inflating, inflated) = if grows {
        (3 * hint, 2 * hint)
    } else {
        (hint, hint)
    };
    let interlace = if p.interlaced { output } else { 0 };
    // Reading the headers: the image data copied out chunk by chunk into one buffer, grown by
    // doubling (up to twice its size, with the old buffer alive while it moves). (Compressed
    // metadata, which zune-png would inflate while reading its headers, up to 1 GiB a chunk,
    // is taken out of the file before it sees it: `decode`.)
    let headers = 3 * p.data_bytes;
    let decoding = output + (2 * p.data_bytes + inflating).max(inflated + interlace);
    // Then the samples, stripped to 8 bits in the same buffer, converted to RGB beside it (RGB
    // is passed on as it is, buffer and all).
    let (converting, held) = if out_channels == 3 {
        (output, output)
    } else {
        (output + w * h * 3, w * h * 3)
    };
    (headers.max(decoding).max(converting), held)
}

/// The size of a PNG's image data once inflated: a filter byte and the samples of each row, of
/// each of the seven passes when interlaced.
fn inflated_size(p: &PngHeader, channels: u64) -> u64 {
    let bits = channels * u64::from(p.depth);
    let row = |w: u64| 1 + (w * bits).div_ceil(8);
    let (w, h) = (u64::from(p.width), u64::from(p.height));
    if !p.interlaced {
        return h * row(w);
    }
    const PASSES: [(u64, u64, u64, u64); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    PASSES
        .iter()
        .map(|&(x0, y0, dx, dy)| {
            let pw = w.saturating_sub(x0).div_ceil(dx);
            let ph = h.saturating_sub(y0).div_ceil(dy);
            if pw == 0 { 0 } else { ph * row(pw) }
        })
        .sum()
}

/// The frame header and the first scan header of a JPEG, walking the marker segments (APP
/// segments are skipped whole: an EXIF thumbnail has a frame header of its own).
pub(crate) fn jpeg_header(b: &[u8]) -> Result<JpegHeader> {
    let bad = |reason: &str| Error::ImageDecode {
        format: "jpeg".into(),
        reason: reason.into(),
    };
    let mut frame: Option<JpegHeader> = None;
    let mut segments = 0u64;
    let mut i = 2;
    loop {
        if i + 2 > b.len() {
            return Err(bad("the headers are truncated"));
        }
        if b[i] != 0xFF {
            return Err(bad("a marker was expected in the headers"));
        }
        let marker = b[i + 1];
        match marker {
            0xFF => {
                i += 1;
                continue;
            }
            0x01 | 0xD0..=0xD8 => {
                i += 2;
                continue;
            }
            0xD9 => return Err(bad("the image ends before its first scan")),
            _ => {}
        }
        if i + 4 > b.len() {
            return Err(bad("the headers are truncated"));
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if len < 2 || i + 2 + len > b.len() {
            return Err(bad("a header segment is truncated"));
        }
        let seg = &b[i + 4..i + 2 + len];
        segments += len as u64;
        match marker {
            0xC0..=0xC2 => {
                if frame.is_some() {
                    return Err(bad("more than one frame header"));
                }
                if seg.len() < 6 {
                    return Err(bad("the frame header is truncated"));
                }
                let height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
                let width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
                let n = usize::from(seg[5]);
                if n == 0 || n > 4 || seg.len() < 6 + 3 * n {
                    return Err(bad("the frame header's components are malformed"));
                }
                let components: Vec<(u8, u8)> = seg[6..6 + 3 * n]
                    .chunks_exact(3)
                    .map(|c| (c[1] >> 4, c[1] & 0x0F))
                    .collect();
                if components
                    .iter()
                    .any(|&(h, v)| !(1..=4).contains(&h) || !(1..=4).contains(&v))
                {
                    return Err(bad("a sampling factor is out of range"));
                }
                frame = Some(JpegHeader {
                    width,
                    height,
                    progressive: marker == 0xC2,
                    components,
                    first_scan: 0,
                    copied: 0,
                });
            }
            // Lossless, hierarchical and arithmetic-coded JPEGs: neither decoder takes them at
            // a bounded cost (jpeg-decoder decodes lossless ones at full size, 16 bits a sample).
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(bad(
                    "lossless, hierarchical and arithmetic-coded JPEGs are not supported",
                ));
            }
            0xDA => {
                let mut frame = frame.ok_or_else(|| bad("a scan before the frame header"))?;
                frame.first_scan = usize::from(seg.first().copied().unwrap_or(0));
                frame.copied = 2 * segments;
                return Ok(frame);
            }
            _ => {}
        }
        i += 2 + len;
    }
}

/// The IHDR of a PNG and what its other chunks say about memory (tRNS, the size of the image
/// data).
pub(crate) fn png_header(b: &[u8]) -> Result<PngHeader> {
    let bad = |reason: &str| Error::ImageDecode {
        format: "png".into(),
        reason: reason.into(),
    };
    let mut header: Option<PngHeader> = None;
    let mut compressed_metadata = false;
    let mut i = 8;
    while i + 8 <= b.len() {
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        let data = b.get(i + 8..(i + 8).saturating_add(len));
        // A chunk cut off by the end of the file: what is there (the decoder refuses it).
        let present = len.min(b.len() - (i + 8)) as u64;
        match (kind, &mut header) {
            (b"IHDR", None) => {
                let d = data
                    .filter(|d| d.len() >= 13)
                    .ok_or_else(|| bad("the header chunk is truncated"))?;
                header = Some(PngHeader {
                    width: u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
                    height: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
                    depth: d[8],
                    colour_type: d[9],
                    interlaced: d[12] != 0,
                    transparency: false,
                    data_bytes: 0,
                    copied: 0,
                });
            }
            (b"tRNS", Some(h)) => h.transparency = true,
            (b"IDAT" | b"fdAT", Some(h)) => h.data_bytes += present,
            (b"iCCP" | b"zTXt", _) => compressed_metadata = true,
            (b"IEND", _) => break,
            (_, Some(h)) => h.copied += 2 * present,
            _ => {}
        }
        i = (i + 12).saturating_add(len);
    }
    let mut h = header.ok_or_else(|| bad("no header chunk"))?;
    if compressed_metadata {
        h.copied += b.len() as u64;
    }
    if !matches!(h.depth, 1 | 2 | 4 | 8 | 16) || !matches!(h.colour_type, 0 | 2 | 3 | 4 | 6) {
        return Err(bad("unsupported bit depth or colour type"));
    }
    Ok(h)
}

/// Hostile headers for the tests, shared with `offgrid-testkit` by path: the core's unit tests
/// cannot depend on the testkit, which depends on the core (two cores in one test binary).
#[cfg(test)]
#[allow(unreachable_pub)] // public in the testkit, which this file is shared with
#[path = "../../testkit/src/hostile.rs"]
#[allow(dead_code)]
mod hostile;

#[cfg(test)]
mod tests {
    use super::*;

    fn progressive_444(w: u32, h: u32) -> Header {
        Header::Jpeg(JpegHeader {
            width: w,
            height: h,
            progressive: true,
            components: vec![(1, 1); 3],
            first_scan: 3,
            copied: 0,
        })
    }

    #[test]
    fn the_issue_figure() {
        // 14,000² progressive 4:4:4: 1.18 GB of coefficients for either decoder.
        let e = progressive_444(14_000, 14_000).estimate(
            Path::Scaled {
                min_long_edge: 2048,
            },
            2048,
        );
        assert!(e.decode > 1_176_000_000, "{e:?}");
        let e = progressive_444(14_000, 14_000).estimate(Path::Full, 2048);
        assert!(e.decode > 1_764_000_000, "{e:?}");
    }

    #[test]
    fn scales_as_jpeg_decoder_picks_them() {
        assert_eq!(dct_scale(4000, 3000, 2048), 8);
        assert_eq!(dct_scale(8000, 6000, 2048), 4);
        assert_eq!(dct_scale(14_000, 14_000, 2048), 2);
        assert_eq!(dct_scale(60_000, 100, 2048), 1);
    }

    #[test]
    fn every_decoding_function_refuses_before_decoding() {
        use super::hostile as sample;
        use crate::decode;
        let too_large = |r: Result<decode::Rgb>| match r {
            Err(Error::ImageTooLarge { detail, .. }) => detail,
            Err(e) => panic!("expected ImageTooLarge, got {e}"),
            Ok(_) => panic!("expected ImageTooLarge, got an image"),
        };
        let hostile = sample::claiming_jpeg(14_000, 14_000, true, &[(1, 1); 3], 16);
        // The documents' photo copies decode at a reduced scale; reports check images decode.
        let detail = too_large(decode::decode_jpeg_scaled(&hostile, 960));
        assert!(detail.contains("progressive JPEG (4:4:4)"), "{detail}");
        too_large(decode::decode(&hostile, Format::Jpeg));
        let png = sample::zero_png(4000, 4000, 16, 6, true);
        let detail = too_large(decode::decode(&png, Format::Png));
        assert!(detail.contains("16-bit interlaced PNG (RGBA)"), "{detail}");
    }

    #[test]
    fn headers_are_read_past_an_exif_thumbnail() {
        // An APP1 segment holding a whole small JPEG (frame header and all) before the real
        // frame header: the real one counts.
        let thumb = hostile::claiming_jpeg(160, 120, false, &[(1, 1); 3], 4);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(&thumb);
        let hostile = hostile::claiming_jpeg(14_000, 14_000, true, &[(1, 1); 3], 16);
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1];
        bytes.extend(((app1.len() + 2) as u16).to_be_bytes());
        bytes.extend(&app1);
        bytes.extend(&hostile[2..]);
        let h = jpeg_header(&bytes).unwrap();
        assert_eq!((h.width, h.height, h.progressive), (14_000, 14_000, true));
    }

    #[test]
    fn megabytes_read_well() {
        assert_eq!(megabytes(150_000_000), "150 MB");
        assert_eq!(megabytes(1_176_000_000), "1.2 GB");
    }
}
