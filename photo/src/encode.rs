//! JPEG encoding of the derived images: baseline, 4:2:0 chroma subsampling, quality 80 by
//! default (jpeg-encoder, pure Rust; SIMD on x86-64).

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::decode::Rgb;
use crate::error::{Error, Result};

/// `image` as a baseline 4:2:0 JPEG of `quality` (1–100). Images wider or taller than 65,535
/// pixels are refused ([`Error::InvalidArgument`]).
pub fn jpeg(image: &Rgb, quality: u8) -> Result<Vec<u8>> {
    let (w, h) = (
        u16::try_from(image.width).map_err(|_| too_big(image))?,
        u16::try_from(image.height).map_err(|_| too_big(image))?,
    );
    let mut out = Vec::with_capacity(image.pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder
        .encode(&image.pixels, w, h, ColorType::Rgb)
        .map_err(|e| Error::ImageDecode {
            format: "jpeg".into(),
            reason: format!("encode: {e}"),
        })?;
    Ok(out)
}

fn too_big(image: &Rgb) -> Error {
    Error::InvalidArgument(format!(
        "a derived image of {}×{} is too large to encode",
        image.width, image.height
    ))
}
