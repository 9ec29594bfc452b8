//! Synthetic test photos, made here so the project ships no third-party images: a four-colour
//! quadrant pattern (red top-left, green top-right, blue bottom-left, white bottom-right *as
//! displayed*) over gradients and noise that make the JPEG as large as a phone photo, stored
//! rotated per the EXIF orientation it declares, with optional EXIF (time with offset, GPS,
//! make and model). Used by the tests and by `offgrid bench photo`.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use offgrid_photo::{Rgb, orient};

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

pub use crate::hostile::{claiming_jpeg, with_compressed_text, zero_png};
