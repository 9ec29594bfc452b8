//! The verification QR code, as vector SVG (no raster: it prints sharp at any size).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::{Error, Result};

/// An SVG QR code of `text` (error correction M).
pub(crate) fn svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| {
        Error::Document {
            reason: format!("QR code: {e}"),
        }
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}
