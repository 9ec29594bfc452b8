//! Photos as documents show them: the device's upload copy scaled to 960 px on the long edge
//! (two per row on A4 is about 8 cm: 300 dpi), re-encoded at quality 72 so that a report with
//! twenty photos stays within 3 MB, each with a caption of time, place and who. A photo this
//! device does not have is listed, and drawn as a captioned gap rather than failing the document.
//!
//! The scaled copies are made on a few threads and kept beside the photos
//! (`document-photos/<sha256>.jpg`, written atomically, sealed in an encrypted store): the same
//! parameters always give the same bytes, so a document made again, or another document showing
//! the same photo, reuses them.

use serde_json::{Value, json};

use super::text::local_minute;
use crate::error::Result;
use crate::photo::PhotoMeta;
use crate::store::{PhotoFile, Store};

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
    pub(super) fn add(
        &mut self,
        store: &Store,
        meta: Option<&PhotoMeta>,
        sha256: &str,
        place: &str,
    ) -> Result<Value> {
        let caption = caption(meta, sha256, place);
        match store.photo_path(sha256, PhotoFile::Upload)? {
            Some(_) => {
                self.shown.push(sha256.to_owned());
                Ok(json!({"index": self.shown.len() - 1, "sha256": sha256, "caption": caption}))
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

impl Prepared {
    /// The scaled JPEG of every photo shown, by `index`: from the cache, or made on a few
    /// threads and cached.
    pub(super) fn files(&self, store: &Store) -> Result<Vec<Vec<u8>>> {
        crate::parallel::map_chunks(&self.shown, |chunk| {
            chunk.iter().map(|sha| scaled(store, sha)).collect()
        })
    }
}

fn scaled(store: &Store, sha256: &str) -> Result<Vec<u8>> {
    let blobs = store.blobs();
    let file = format!("{sha256}-{LONG_EDGE}q{QUALITY}.jpg");
    let cached = blobs.cache_dir("document-photos").join(&file);
    let name = format!("document-photos/{file}");
    // A cached copy that does not open (damaged) is made again.
    if let Ok(Some(bytes)) = blobs.read_file(&cached, &name) {
        return Ok(bytes);
    }
    let bytes = store
        .photo_bytes(sha256, PhotoFile::Upload)?
        .ok_or_else(|| crate::error::Error::Document {
            reason: format!("photo {sha256} went missing while the document was made"),
        })?;
    let image = crate::photo::decode::decode_jpeg_scaled(&bytes, LONG_EDGE)?;
    let image = crate::photo::transform::fit(image, LONG_EDGE)?;
    let jpeg = crate::photo::encode::jpeg(&image, QUALITY)?;
    blobs.write_file(&cached, &name, &jpeg)?;
    Ok(jpeg)
}
