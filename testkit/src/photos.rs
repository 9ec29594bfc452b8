//! Synthetic test photos, made here so the project ships no third-party images: a four-colour
//! quadrant pattern (red top-left, green top-right, blue bottom-left, white bottom-right *as
//! displayed*) over gradients and noise that make the JPEG as large as a phone photo, stored
//! rotated per the EXIF orientation it declares, with optional EXIF (time with offset, GPS,
//! make and model). Used by the tests and by `offgrid bench photo`.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use offgrid_core::photo::{Rgb, orient};

/// What to make.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Size as displayed (upright).
    pub width: u32,
    pub height: u32,
    /// EXIF orientation (1–8): the pixels are stored so that applying it shows the pattern
    /// upright.
    pub orientation: u8,
    /// Write EXIF (orientation, DateTimeOriginal 2026:11:28 09:30:00 +08:00, GPS 30.25 N
    /// 120.15 E, 12.5 m, make "Offgrid", model "Sample").
    pub exif: bool,
    /// Noise amplitude (0–127): more noise, larger file.
    pub noise: u8,
    pub quality: u8,
    pub progressive: bool,
    pub cmyk: bool,
}

impl Default for Sample {
    fn default() -> Self {
        Sample {
            width: 640,
            height: 480,
            orientation: 1,
            exif: true,
            noise: 8,
            quality: 90,
            progressive: false,
            cmyk: false,
        }
    }
}

/// The colours of the quadrants as displayed: top-left, top-right, bottom-left, bottom-right.
pub const QUADRANTS: [[u8; 3]; 4] = [[220, 30, 30], [30, 200, 30], [30, 30, 220], [235, 235, 235]];

/// The upright image (before the orientation is undone for storage).
pub fn upright(width: u32, height: u32, noise: u8) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut seed: u32 = 0x9E37_79B9;
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let q = usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2);
            // A border of 1/16 of the size keeps the quadrant centres clean of edge effects.
            let shade = ((x * 7 + y * 3) % 64) as i32 - 32;
            for c in QUADRANTS[q] {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let n = if noise == 0 {
                    0
                } else {
                    (seed % (2 * u32::from(noise) + 1)) as i32 - i32::from(noise)
                };
                pixels.push((i32::from(c) + shade / 4 + n).clamp(0, 255) as u8);
            }
        }
    }
    pixels
}

/// A JPEG per `spec`.
pub fn jpeg(spec: &Sample) -> Vec<u8> {
    let upright = Rgb {
        width: spec.width,
        height: spec.height,
        pixels: upright(spec.width, spec.height, spec.noise),
    };
    // Store the pixels so that applying `orientation` shows them upright.
    let inverse = match spec.orientation {
        6 => 8,
        8 => 6,
        o => o,
    };
    let stored = orient(upright, inverse);
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, spec.quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_progressive(spec.progressive);
    if spec.exif {
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff(spec.orientation));
        encoder
            .add_app_segment(1, app1)
            .expect("the EXIF segment is small");
    }
    let (w, h) = (stored.width as u16, stored.height as u16);
    if spec.cmyk {
        // Adobe-style inverted CMYK, as Photoshop writes it.
        let cmyk: Vec<u8> = stored
            .pixels
            .chunks_exact(3)
            .flat_map(|p| {
                let k = 255 - p[0].max(p[1]).max(p[2]);
                let f = |c: u8| {
                    if k == 255 {
                        0
                    } else {
                        ((255 - c - k) as u32 * 255 / (255 - k) as u32) as u8
                    }
                };
                [255 - f(p[0]), 255 - f(p[1]), 255 - f(p[2]), 255 - k]
            })
            .collect();
        encoder
            .encode(&cmyk, w, h, ColorType::Cmyk)
            .expect("encoding a sample");
    } else {
        encoder
            .encode(&stored.pixels, w, h, ColorType::Rgb)
            .expect("encoding a sample");
    }
    out
}

/// A big-endian TIFF structure with IFD0 (make, model, orientation, pointers), the Exif IFD
/// (DateTimeOriginal, OffsetTimeOriginal) and the GPS IFD.
fn tiff(orientation: u8) -> Vec<u8> {
    type Entry = (u16, u16, u32, Vec<u8>); // tag, type, count, value bytes
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    const BYTE: u16 = 1;
    let ascii = |tag: u16, s: &str| -> Entry {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        (tag, ASCII, v.len() as u32, v)
    };
    let rationals = |tag: u16, values: &[(u32, u32)]| -> Entry {
        let v = values
            .iter()
            .flat_map(|(n, d)| [n.to_be_bytes(), d.to_be_bytes()].concat())
            .collect();
        (tag, RATIONAL, values.len() as u32, v)
    };
    let size = |entries: &[Entry]| -> u32 {
        let data: u32 = entries
            .iter()
            .map(|e| e.3.len() as u32)
            .filter(|&l| l > 4)
            .map(|l| l + l % 2)
            .sum();
        2 + 12 * entries.len() as u32 + 4 + data
    };
    let ifd = |start: u32, entries: &[Entry]| -> Vec<u8> {
        let mut head = (entries.len() as u16).to_be_bytes().to_vec();
        let mut data = Vec::new();
        let data_start = start + 2 + 12 * entries.len() as u32 + 4;
        for (tag, ty, count, value) in entries {
            head.extend(tag.to_be_bytes());
            head.extend(ty.to_be_bytes());
            head.extend(count.to_be_bytes());
            if value.len() <= 4 {
                let mut inline = value.clone();
                inline.resize(4, 0);
                head.extend(inline);
            } else {
                head.extend((data_start + data.len() as u32).to_be_bytes());
                data.extend(value);
                if data.len() % 2 == 1 {
                    data.push(0);
                }
            }
        }
        head.extend(0u32.to_be_bytes());
        head.extend(data);
        head
    };
    let exif_ifd = vec![
        ascii(0x9003, "2026:11:28 09:30:00"),
        ascii(0x9011, "+08:00"),
    ];
    let gps_ifd = vec![
        ascii(0x0001, "N"),
        rationals(0x0002, &[(30, 1), (15, 1), (0, 1)]),
        ascii(0x0003, "E"),
        rationals(0x0004, &[(120, 1), (9, 1), (0, 1)]),
        (0x0005, BYTE, 1, vec![0]),
        rationals(0x0006, &[(25, 2)]),
    ];
    let placeholder = |tag| (tag, LONG, 1, vec![0; 4]);
    let mut ifd0 = vec![
        ascii(0x010F, "Offgrid"),
        ascii(0x0110, "Sample"),
        (
            0x0112,
            SHORT,
            1,
            u16::from(orientation).to_be_bytes().to_vec(),
        ),
        placeholder(0x8769),
        placeholder(0x8825),
    ];
    let ifd0_start = 8;
    let exif_start = ifd0_start + size(&ifd0);
    let gps_start = exif_start + size(&exif_ifd);
    ifd0[3].3 = exif_start.to_be_bytes().to_vec();
    ifd0[4].3 = gps_start.to_be_bytes().to_vec();
    let mut out = b"MM\0\x2A".to_vec();
    out.extend(8u32.to_be_bytes());
    out.extend(ifd(ifd0_start, &ifd0));
    out.extend(ifd(exif_start, &exif_ifd));
    out.extend(ifd(gps_start, &gps_ifd));
    out
}

/// A PNG (RGBA, with a transparent top-left quadrant) of the quadrant pattern.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    use zune_core::bit_depth::BitDepth;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::EncoderOptions;
    let rgb = upright(width, height, 0);
    let (w, h) = (width as usize, height as usize);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| {
            let (x, y) = (i % w, i / w);
            let alpha = if x < w / 2 && y < h / 2 { 0 } else { 255 };
            [p[0], p[1], p[2], alpha]
        })
        .collect();
    let options = EncoderOptions::new(w, h, ColorSpace::RGBA, BitDepth::Eight);
    let mut out = Vec::new();
    zune_png::PngEncoder::new(&rgba, options)
        .encode(&mut out)
        .expect("encoding a sample PNG");
    out
}

/// A tiny JPEG claiming `width`×`height` pixels (issue 28's attack: a few hundred bytes that make
/// a decoder allocate for the whole image): one quantisation table of ones, Huffman tables with a
/// single one-bit code (a DC difference of 0, an end of block), the frame header (SOF2 when
/// `progressive`, else SOF0) with `sampling` (horizontal, vertical) per component, one scan of
/// every component (DC only when progressive) of `scan_bytes` zero bytes, and the end marker.
/// Decoders read zero bits past the end of the scan, so it decodes, as flat grey.
pub fn claiming_jpeg(
    width: u16,
    height: u16,
    progressive: bool,
    sampling: &[(u8, u8)],
    scan_bytes: usize,
) -> Vec<u8> {
    fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
        out.extend([0xFF, marker]);
        out.extend(((body.len() + 2) as u16).to_be_bytes());
        out.extend(body);
    }
    let n = sampling.len() as u8;
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend([1u8; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend(height.to_be_bytes());
    sof.extend(width.to_be_bytes());
    sof.push(n);
    for (i, (h, v)) in sampling.iter().enumerate() {
        sof.extend([i as u8 + 1, (h << 4) | v, 0]);
    }
    segment(&mut out, if progressive { 0xC2 } else { 0xC0 }, &sof);
    let mut dht = Vec::new();
    for class in [0x00u8, 0x10] {
        dht.push(class);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        dht.extend(counts);
        dht.push(0);
    }
    segment(&mut out, 0xC4, &dht);
    let mut sos = vec![n];
    for i in 0..n {
        sos.extend([i + 1, 0x00]);
    }
    sos.extend(if progressive { [0, 0, 0] } else { [0, 63, 0] });
    segment(&mut out, 0xDA, &sos);
    out.resize(out.len() + scan_bytes, 0);
    out.extend([0xFF, 0xD9]);
    out
}

/// A valid PNG of `width`×`height`, all zero samples (black, or transparent), in any bit depth
/// and colour type, optionally interlaced (Adam7): its image data is a run of zeros deflated
/// with length-258 matches, so even a 16-bit interlaced image of a hundred megabytes is a few
/// hundred kilobytes. For checking memory bounds.
pub fn zero_png(width: u32, height: u32, depth: u8, colour_type: u8, interlaced: bool) -> Vec<u8> {
    let channels: u64 = match colour_type {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        _ => 4,
    };
    let bits = channels * u64::from(depth);
    let row = |w: u64| 1 + (w * bits).div_ceil(8);
    let (w, h) = (u64::from(width), u64::from(height));
    let raw: u64 = if interlaced {
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
    } else {
        h * row(w)
    };

    let zlib = zlib_zeros(raw);

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([depth, colour_type, 0, 0, u8::from(interlaced)]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    if colour_type == 3 {
        png_chunk(&mut out, b"PLTE", &[0, 0, 0]);
    }
    png_chunk(&mut out, b"IDAT", &zlib);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A zlib stream of `raw` zero bytes: its header, one fixed-Huffman block (a literal zero, then
/// matches of 258 bytes at distance 1) and the Adler-32 (a = 1, b = raw).
fn zlib_zeros(raw: u64) -> Vec<u8> {
    let mut bits_out = BitWriter::default();
    bits_out.bits(1, 1); // final block
    bits_out.bits(1, 2); // fixed Huffman codes
    let literal_zero = |b: &mut BitWriter| b.code(0x30, 8);
    literal_zero(&mut bits_out);
    let mut left = raw - 1;
    while left >= 258 {
        bits_out.code(0xC5, 8); // length 258 (symbol 285)
        bits_out.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        literal_zero(&mut bits_out);
    }
    bits_out.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits_out.finish());
    let adler = (((raw % 65_521) as u32) << 16) | 1;
    zlib.extend(adler.to_be_bytes());

    zlib
}

/// `png` with a zTXt chunk (keyword "Comment") after its header chunk, whose text inflates to
/// `inflated` zero bytes: a decompression bomb in the metadata.
pub fn with_compressed_text(png: &[u8], inflated: u64) -> Vec<u8> {
    let mut data = b"Comment\0\0".to_vec();
    data.extend(zlib_zeros(inflated));
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    png_chunk(&mut out, b"zTXt", &data);
    out.extend(&png[ihdr_end..]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// Deflate's bit order: fields from their least significant bit, Huffman codes from their most.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        self.acc |= (bit & 1) << self.n;
        self.n += 1;
        if self.n == 8 {
            self.out.push(self.acc as u8);
            (self.acc, self.n) = (0, 0);
        }
    }

    fn bits(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.bit(value >> i);
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}
