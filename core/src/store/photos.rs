//! The photos this device holds (the `photos` table) and their upload state: the photo queue
//! that sync drains. A photo becomes `local` when attached (in the same transaction as the
//! record change that references it); sync moves it to `uploading`, `uploaded` and, once the
//! server confirms the hash, `verified`.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::blobs::{PhotoFile, PhotoReader};
use super::{Store, Writer};
use crate::error::{Error, Result};
use crate::model::RecordId;
use crate::photo::PhotoInfo;

/// Where a photo stands on its way to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// Only on this device.
    Local,
    /// An upload has started (it resumes by byte range).
    Uploading,
    /// The server has the bytes.
    Uploaded,
    /// The server checked the bytes against the hash.
    Verified,
}

offgrid_common::named!(pub PhotoState, "photo state" {
    Local => "local",
    Uploading => "uploading",
    Uploaded => "uploaded",
    Verified => "verified",
});

/// One row of the photo queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedPhoto {
    /// SHA-256 of the original bytes, lowercase hex.
    pub sha256: String,
    /// Where it stands on its way to the server.
    pub state: PhotoState,
    /// "jpeg" or "png".
    pub format: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// When this device first recorded it, UTC ms by the store's clock.
    pub added_ms: i64,
    /// When it last changed state, UTC ms by the store's clock.
    pub state_ms: i64,
}

impl Writer<'_> {
    /// Whether this device holds the photo: attached here or downloaded by sync (its row is
    /// written after its files, see `store::blobs`, and never removed).
    pub fn holds_photo(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)")?
            .query_row([sha256], |r| r.get(0))?)
    }

    /// The rule for citing photos by hash: a record may cite only a photo this device holds,
    /// or one that `record` (the record cited in, or the record it is derived from) already
    /// carries: a photo synced from a colleague may be known here by its hash alone. Otherwise
    /// [`Error::PhotoNotHeld`]: a hash with no photo behind it is evidence that never existed.
    /// `photos` are normalised hashes ([`crate::doc::events::photo_hash`]).
    pub fn require_photos(&mut self, record: Option<&RecordId>, photos: &[String]) -> Result<()> {
        let mut carried: Option<serde_json::Value> = None;
        for sha in photos {
            if self.holds_photo(sha)? {
                continue;
            }
            if let Some(id) = record {
                if carried.is_none() {
                    carried = Some(self.read(id, |doc| {
                        Ok(crate::doc::json::hydrate(doc, &automerge::ROOT)?)
                    })?);
                }
                if carried.as_ref().is_some_and(|doc| carries_photo(doc, sha)) {
                    continue;
                }
            }
            return Err(Error::PhotoNotHeld {
                sha256: sha.clone(),
            });
        }
        Ok(())
    }

    /// Records that this device holds the photo (its files are already written).
    pub fn record_photo(&mut self, info: &PhotoInfo) -> Result<()> {
        let now = self.now().unix_ms;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO photos (sha256, format, bytes, width, height, added_ms, state_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?
            .execute(params![
                info.sha256,
                info.format,
                info.bytes as i64,
                info.width,
                info.height,
                now
            ])?;
        Ok(())
    }
}

impl Store {
    /// The photo queue: photos in `state` (all when `None`), oldest first.
    pub fn photo_queue(&self, state: Option<PhotoState>) -> Result<Vec<QueuedPhoto>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached(
            "SELECT sha256, state, format, bytes, added_ms, state_ms FROM photos
             WHERE ?1 IS NULL OR state = ?1 ORDER BY added_ms, sha256",
        )?;
        let rows = stmt.query_map(params![state.map(PhotoState::as_str)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (sha256, state, format, bytes, added_ms, state_ms) = row?;
            Ok(QueuedPhoto {
                sha256,
                state: state
                    .parse()
                    .map_err(|e| Error::Corrupt(format!("photo queue: {e}")))?,
                format,
                bytes: bytes as u64,
                added_ms,
                state_ms,
            })
        })
        .collect()
    }

    /// Moves a photo to `state`. Only sync moves photo states (a shell marking a photo
    /// verified would keep it from ever being uploaded).
    pub(crate) fn set_photo_state(&self, sha256: &str, state: PhotoState) -> Result<()> {
        let sha256 = crate::doc::events::photo_hash(sha256)?;
        let now = self.now().unix_ms;
        let guard = self.lock();
        let changed = guard.conn.execute(
            "UPDATE photos SET state = ?2, state_ms = ?3 WHERE sha256 = ?1",
            params![sha256, state.as_str(), now],
        )?;
        if changed == 0 {
            return Err(Error::InvalidArgument(format!(
                "photo {sha256} is not stored on this device"
            )));
        }
        Ok(())
    }

    /// The path of one of a photo's files, if this device has it. In an encrypted store the
    /// file is sealed: read it with [`Store::photo_bytes`], [`Store::photo_reader`] or
    /// [`Store::photo_plain_copy`].
    pub fn photo_path(&self, sha256: &str, file: PhotoFile) -> Result<Option<std::path::PathBuf>> {
        let sha256 = crate::doc::events::photo_hash(sha256)?;
        Ok(self
            .blobs
            .exists(&sha256, file)
            .then(|| self.blobs.path(&sha256, file)))
    }

    /// The plain bytes of one of a photo's files, if this device has it. In an encrypted store
    /// a file that fails its authentication (altered, truncated) is refused with
    /// [`Error::Corrupt`]; its bytes are never returned.
    pub fn photo_bytes(&self, sha256: &str, file: PhotoFile) -> Result<Option<Vec<u8>>> {
        let sha256 = crate::doc::events::photo_hash(sha256)?;
        self.blobs.read(&sha256, file)
    }

    /// A reader of the plain bytes of one of a photo's files (decrypted as it is read; a chunk
    /// that fails its authentication is an `InvalidData` error), if this device has it.
    pub fn photo_reader(&self, sha256: &str, file: PhotoFile) -> Result<Option<PhotoReader>> {
        let sha256 = crate::doc::events::photo_hash(sha256)?;
        self.blobs.reader(&sha256, file)
    }

    /// A plain copy of one of a photo's files, for code that can only read a path (an image
    /// view, a share sheet), in the store's temporary folder. The copy is removed when the
    /// returned value is dropped, and at the next open if the app is killed first.
    pub fn photo_plain_copy(&self, sha256: &str, file: PhotoFile) -> Result<Option<PlainCopy>> {
        let Some(bytes) = self.photo_bytes(sha256, file)? else {
            return Ok(None);
        };
        let dir = self.blobs.cache_dir("tmp");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("view-{}{}", uuid::Uuid::now_v7(), file.extension()));
        let copy = PlainCopy { path };
        std::fs::write(&copy.path, &bytes)?;
        Ok(Some(copy))
    }

    pub(crate) fn blobs(&self) -> &super::blobs::Blobs {
        &self.blobs
    }

    /// A new file path in the store's capture folder for the camera to write a photo to; attach
    /// it with [`Store::add_captured`]. Photos cross to the shells as paths, never bytes.
    pub fn capture_path(&self) -> Result<std::path::PathBuf> {
        let dir = self.blobs.capture_dir();
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("{}.jpg", crate::model::RecordId::new())))
    }

    /// Photos in the capture folder never attached (the app was killed between taking and
    /// attaching, or attaching failed), oldest first: the shell offers to attach or discard them.
    pub fn leftover_captures(&self) -> Result<Vec<std::path::PathBuf>> {
        let dir = self.blobs.capture_dir();
        let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && fs_len(p) > 0)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        // Names are UUIDv7: sorting by name is sorting by when the path was handed out.
        files.sort();
        Ok(files)
    }

    /// Deletes a leftover capture the user chose not to keep. Only files in the capture folder
    /// are deleted; any other path is refused and left alone.
    pub fn discard_capture(&self, path: &std::path::Path) -> Result<()> {
        if !self.is_capture(path) {
            return Err(Error::InvalidArgument(
                "only a capture the store handed out can be discarded".into(),
            ));
        }
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `path` is a file in the capture folder.
    pub(crate) fn is_capture(&self, path: &std::path::Path) -> bool {
        let dir = self.blobs.capture_dir();
        match (
            path.parent().map(std::fs::canonicalize),
            std::fs::canonicalize(&dir),
        ) {
            (Some(Ok(parent)), Ok(dir)) => parent == dir,
            _ => false,
        }
    }
}

/// A plain temporary copy of a photo file ([`Store::photo_plain_copy`]), removed when dropped.
#[derive(Debug)]
pub struct PlainCopy {
    path: std::path::PathBuf,
}

impl PlainCopy {
    /// Where the copy is; readable until this value is dropped.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for PlainCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a record (as JSON) carries the photo: a key of a `photos` map (the record's own, an
/// item's) or an entry of a `photos` list (an event's), anywhere in it.
fn carries_photo(value: &serde_json::Value, sha256: &str) -> bool {
    use serde_json::Value;
    let lists = |photos: &Value| match photos {
        Value::Object(m) => m.contains_key(sha256),
        Value::Array(a) => a.iter().any(|p| p.as_str() == Some(sha256)),
        _ => false,
    };
    match value {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| (k == "photos" && lists(v)) || carries_photo(v, sha256)),
        Value::Array(a) => a.iter().any(|v| carries_photo(v, sha256)),
        _ => false,
    }
}

/// The size of a file (0 if it cannot be read): an empty file is a capture the camera abandoned.
fn fs_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}
