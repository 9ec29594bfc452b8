//! Photos as documents show them: the device's upload copy scaled to 960 px on the long edge
//! (two per row on A4 is about 8 cm: 300 dpi), re-encoded at quality 72 so that a report with
//! twenty photos stays within 3 MB, each with a caption of time, place and who. A photo this
//! device does not have is listed, and drawn as a captioned gap rather than failing the document.

use serde_json::{Value, json};

use super::text::local_minute;
use crate::error::Result;
use crate::photo::PhotoMeta;
use crate::store::{PhotoFile, Store};

const LONG_EDGE: u32 = 960;
const QUALITY: u8 = 72;

/// The image files of a document, in the order of their `index`, and the hashes missing here.
#[derive(Default)]
pub(crate) struct Prepared {
    pub files: Vec<Vec<u8>>,
    pub missing: Vec<String>,
}

impl Prepared {
    /// Adds one photo and returns what the document shows of it:
    /// `{index, sha256, caption}` (`index` null when the file is missing).
    pub fn add(
        &mut self,
        store: &Store,
        meta: Option<&PhotoMeta>,
        sha256: &str,
        place: &str,
    ) -> Result<Value> {
        let caption = caption(meta, sha256, place);
        match scaled(store, sha256)? {
            Some(jpeg) => {
                self.files.push(jpeg);
                Ok(json!({"index": self.files.len() - 1, "sha256": sha256, "caption": caption}))
            }
            None => {
                self.missing.push(sha256.to_owned());
                Ok(
                    json!({"index": null, "sha256": sha256, "caption": format!("{caption}（本机无此照片 file missing）")}),
                )
            }
        }
    }
}

fn caption(meta: Option<&PhotoMeta>, sha256: &str, place: &str) -> String {
    let short = &sha256[..sha256.len().min(8)];
    let Some(m) = meta else {
        return format!("{place} · {short}");
    };
    let (at, offset) = match (m.capture.captured_ms, m.capture.offset_minutes) {
        (Some(at), Some(off)) => (at, off),
        (Some(at), None) => (at, m.offset_minutes),
        _ => (m.at_ms, m.offset_minutes),
    };
    let mut parts = vec![local_minute(at, offset)];
    if !place.is_empty() {
        parts.push(place.to_owned());
    }
    if let Some(gps) = &m.capture.gps {
        parts.push(format!("{:.5},{:.5}", gps.lon, gps.lat));
    }
    let who = if m.by_name.is_empty() {
        &m.by
    } else {
        &m.by_name
    };
    parts.push(who.clone());
    parts.push(short.to_owned());
    parts.join(" · ")
}

fn scaled(store: &Store, sha256: &str) -> Result<Option<Vec<u8>>> {
    let Some(path) = store.photo_path(sha256, PhotoFile::Upload)? else {
        return Ok(None);
    };
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let image = crate::photo::decode::decode_jpeg_scaled(&bytes, LONG_EDGE)?;
    let image = crate::photo::transform::fit(image, LONG_EDGE)?;
    Ok(Some(crate::photo::encode::jpeg(&image, QUALITY)?))
}
