//! Photos as documents show them: the device's upload copy scaled to 960 px on the long edge
//! (two per row on A4 is about 8 cm: 300 dpi), re-encoded at quality 72 so that a report with
//! twenty photos stays within 3 MB, each with a caption of time, place and who. A photo this
//! device does not have is listed, and drawn as a captioned gap rather than failing the document.
//!
//! The scaled copies come from the [`Source`] (the device's store makes them on a few threads
//! and keeps them beside the photos): the same parameters always give the same bytes.

use serde_json::{Value, json};

use crate::Source;
use crate::text::local_minute;
use offgrid_domain::photo::PhotoMeta;

const LONG_EDGE: u32 = 960;
const QUALITY: u8 = 72;

/// The photos of a document, in the order of their `index`, and the hashes missing here.
#[derive(Default)]
pub(crate) struct Prepared {
    /// The SHA-256 of each photo shown, scaled by [`Prepared::files`].
    shown: Vec<String>,
    pub missing: Vec<String>,
}

impl Prepared {
    /// Adds one photo and returns what the document shows of it:
    /// `{index, sha256, caption}` (`index` null when the file is missing).
    pub(crate) fn add<S: Source>(
        &mut self,
        src: &S,
        meta: Option<&PhotoMeta>,
        sha256: &str,
        place: &str,
    ) -> Result<Value, S::Error> {
        let caption = caption(meta, sha256, place);
        match src.has_photo(sha256)? {
            true => {
                self.shown.push(sha256.to_owned());
                Ok(json!({"index": self.shown.len() - 1, "sha256": sha256, "caption": caption}))
            }
            false => {
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

impl Prepared {
    /// The scaled JPEG of every photo shown, by `index`.
    pub(crate) fn files<S: Source>(&self, src: &S) -> Result<Vec<Vec<u8>>, S::Error> {
        src.document_photos(&self.shown, LONG_EDGE, QUALITY)
    }
}
