//! The device's store as the documents' [`Source`]: the records, photos and settings a
//! document is made from, read here. Photos as documents print them are scaled on a few threads
//! and kept beside the photos (`document-photos/<sha256>-<edge>q<quality>.jpg`, written
//! atomically, sealed in an encrypted store): the same parameters always give the same bytes, so
//! a document made again, or another document showing the same photo, reuses them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use offgrid_documents::Source;
use serde_json::Value;

use super::ShownRecord;
use crate::checklist::Template;
use crate::error::{Error, Result};
use crate::hazard::{Hazard, Register, RegisterQuery};
use crate::inspection::Inspection;
use crate::model::{RecordId, RecordKind};
use crate::photo::PhotoMeta;
use crate::store::{ListQuery, PhotoFile, Store};
use crate::zone::Zone;

impl Source for Store {
    type Error = Error;

    fn zone(&self) -> Zone {
        Store::zone(self)
    }

    fn heads(&self, id: &RecordId) -> Result<Vec<String>> {
        Store::heads(self, id)
    }

    fn inspection(&self, id: &RecordId) -> Result<Inspection> {
        Store::inspection(self, id)
    }

    fn inspection_template(&self, id: &RecordId) -> Result<Arc<Template>> {
        Store::inspection_template(self, id)
    }

    fn photos(&self, record: &RecordId) -> Result<Vec<PhotoMeta>> {
        Store::photos(self, record)
    }

    fn site(&self, site: &str) -> Option<(String, String)> {
        Store::site(self, &RecordId(site.to_owned()))
            .ok()
            .map(|s| (s.name, s.address))
    }

    fn signature_image(&self, inspection: &RecordId, key: &str) -> Option<Vec<u8>> {
        let image = self
            .get_path(inspection, &format!("/signatures/{key}/image"))
            .ok()
            .flatten()?;
        bytes_of(&image).filter(|b| is_image(b))
    }

    fn hazards_with_heads(&self, ids: &[RecordId]) -> Result<Vec<(Hazard, Vec<String>)>> {
        Store::hazards_with_heads(self, ids)
    }

    fn project_hazards(&self, project: &str) -> Result<Vec<RecordId>> {
        Ok(self
            .list(&ListQuery {
                kind: Some(RecordKind::Hazard),
                project: Some(project.to_owned()),
                ..Default::default()
            })?
            .into_iter()
            .map(|summary| summary.id)
            .collect())
    }

    fn has_photo(&self, sha256: &str) -> Result<bool> {
        Ok(self.photo_path(sha256, PhotoFile::Upload)?.is_some())
    }

    fn document_photos(
        &self,
        sha256: &[String],
        long_edge: u32,
        quality: u8,
    ) -> Result<Vec<Vec<u8>>> {
        crate::parallel::map_chunks(sha256, |chunk| {
            chunk
                .iter()
                .map(|sha| scaled(self, sha, long_edge, quality))
                .collect()
        })
    }

    fn thumbnail(&self, sha256: &str) -> Option<Vec<u8>> {
        self.photo_bytes(sha256, PhotoFile::Thumb).ok().flatten()
    }

    fn register(&self, query: &RegisterQuery) -> Result<Register> {
        Store::register(self, query)
    }

    fn notice_numbers(&self) -> Result<HashMap<String, String>> {
        notice_numbers(self)
    }

    fn temp_dir(&self) -> Result<PathBuf> {
        // The store's own (a phone's system temporary folder may not be writable), emptied at
        // every open.
        let tmp = self.blobs().capture_dir().with_file_name("tmp");
        std::fs::create_dir_all(&tmp)?;
        Ok(tmp)
    }
}

/// Hazard id → number of the latest notice made here that lists it.
fn notice_numbers(store: &Store) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = store.with_writer_conn(|conn| {
        let mut stmt = conn.prepare(
            "SELECT number, records FROM issued_documents WHERE kind = 'rectification_notice' ORDER BY issued_ms",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    let mut map = HashMap::new();
    for (number, records) in rows {
        let records: Vec<ShownRecord> = serde_json::from_str(&records).unwrap_or_default();
        for r in records {
            map.insert(r.id.0, number.clone());
        }
    }
    Ok(map)
}

fn scaled(store: &Store, sha256: &str, long_edge: u32, quality: u8) -> Result<Vec<u8>> {
    let blobs = store.blobs();
    let file = format!("{sha256}-{long_edge}q{quality}.jpg");
    let cached = blobs.cache_dir("document-photos").join(&file);
    let name = format!("document-photos/{file}");
    // A cached copy that does not open (damaged) is made again.
    if let Ok(Some(bytes)) = blobs.read_file(&cached, &name) {
        return Ok(bytes);
    }
    let bytes = store
        .photo_bytes(sha256, PhotoFile::Upload)?
        .ok_or_else(|| Error::Document {
            reason: format!("photo {sha256} went missing while the document was made"),
        })?;
    let image = crate::photo::decode::decode_jpeg_scaled(&bytes, long_edge)?;
    let image = crate::photo::transform::fit(image, long_edge)?;
    let jpeg = crate::photo::encode::jpeg(&image, quality)?;
    blobs.write_file(&cached, &name, &jpeg)?;
    Ok(jpeg)
}

/// Bytes as the record's JSON shows them (lowercase hex).
fn bytes_of(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A PNG or JPEG that decodes: anything else is shown as the name alone, never failing the
/// report.
fn is_image(b: &[u8]) -> bool {
    crate::photo::format::sniff(b).is_ok_and(|f| crate::photo::decode::decode(b, f).is_ok())
}
