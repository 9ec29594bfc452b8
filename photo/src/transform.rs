//! Resizing (Lanczos3, never upscaling) and applying the EXIF orientation, on 8-bit RGB.
//! Orientation is applied after resizing, on the smaller image.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::decode::Rgb;
use crate::error::{Error, Result};

/// `image` scaled so its long edge is at most `long_edge` (consumed: the source buffer is freed
/// as soon as the result exists, which keeps the peak memory down).
pub fn fit(image: Rgb, long_edge: u32) -> Result<Rgb> {
    let (w, h) = (image.width, image.height);
    let long = w.max(h);
    if long <= long_edge {
        return Ok(image);
    }
    let scale = f64::from(long_edge) / f64::from(long);
    let dw = ((f64::from(w) * scale).round() as u32).clamp(1, long_edge);
    let dh = ((f64::from(h) * scale).round() as u32).clamp(1, long_edge);
    let src = Image::from_vec_u8(w, h, image.pixels, PixelType::U8x3).map_err(resize_error)?;
    let mut dst = Image::new(dw, dh, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(resize_error)?;
    drop(src);
    Ok(Rgb {
        width: dw,
        height: dh,
        pixels: dst.into_vec(),
    })
}

/// `image` turned upright according to EXIF `orientation` (1–8; anything else is left as is).
pub fn orient(image: Rgb, orientation: u8) -> Rgb {
    if !(2..=8).contains(&orientation) {
        return image;
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let src = &image.pixels;
    let mut out = vec![0u8; ow * oh * 3];
    // Tiles of 64×64 keep both the rows read and the rows written in cache (a rotation reads
    // one image by columns).
    const TILE: usize = 64;
    for ty in (0..oh).step_by(TILE) {
        for tx in (0..ow).step_by(TILE) {
            for y in ty..(ty + TILE).min(oh) {
                let row = y * ow;
                for x in tx..(tx + TILE).min(ow) {
                    // The source pixel shown at (x, y) once upright.
                    let (sx, sy) = match orientation {
                        2 => (w - 1 - x, y),
                        3 => (w - 1 - x, h - 1 - y),
                        4 => (x, h - 1 - y),
                        5 => (y, x),
                        6 => (y, h - 1 - x),
                        7 => (w - 1 - y, h - 1 - x),
                        _ => (w - 1 - y, x), // 8
                    };
                    let s = (sy * w + sx) * 3;
                    let d = (row + x) * 3;
                    out[d..d + 3].copy_from_slice(&src[s..s + 3]);
                }
            }
        }
    }
    Rgb {
        width: ow as u32,
        height: oh as u32,
        pixels: out,
    }
}

fn resize_error(e: impl std::fmt::Display) -> Error {
    Error::ImageDecode {
        format: "rgb".into(),
        reason: format!("resize: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 image whose pixels are numbered 0..6 (in the red channel).
    fn numbered() -> Rgb {
        Rgb {
            width: 3,
            height: 2,
            pixels: (0..6u8).flat_map(|i| [i, 0, 0]).collect(),
        }
    }

    fn reds(img: &Rgb) -> Vec<u8> {
        img.pixels.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_turns_the_image_upright() {
        // Source:  0 1 2
        //          3 4 5
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (o, dims, expected) in cases {
            let out = orient(numbered(), o);
            assert_eq!((out.width, out.height), dims, "orientation {o}");
            assert_eq!(reds(&out), expected, "orientation {o}");
        }
    }

    #[test]
    fn fit_scales_the_long_edge_and_never_upscales() {
        let img = Rgb {
            width: 400,
            height: 300,
            pixels: vec![128; 400 * 300 * 3],
        };
        let out = fit(img, 100).unwrap();
        assert_eq!((out.width, out.height), (100, 75));
        assert!(out.pixels.iter().all(|&p| (126..=130).contains(&p)));
        let same = fit(out, 1000).unwrap();
        assert_eq!((same.width, same.height), (100, 75));
    }
}
