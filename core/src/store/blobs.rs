//! Photo files, content-addressed, in a folder next to the database (`<db>.blobs/`):
//! `original/ab/abcd…` (the bytes as taken, the evidence), `upload/ab/abcd….jpg` and
//! `thumb/ab/abcd….jpg`. A file is written to `tmp/`, fsynced, renamed into place and the folder
//! fsynced, so after a crash a file is either whole or absent; `tmp/` is emptied at open.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Which file of a photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PhotoFile {
    /// The original bytes, unmodified.
    Original,
    /// Long edge 2048, upright JPEG: what is uploaded and shown full screen.
    Upload,
    /// Long edge 256, upright JPEG: lists and grids.
    Thumb,
}

pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// The blob folder of the database at `db`.
    pub fn for_db(db: &Path) -> Blobs {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".blobs");
        Blobs {
            root: db.with_file_name(name),
        }
    }

    /// Where the camera writes photos before they are attached (`capture/`): kept across crashes,
    /// never emptied at open, so a shot taken just before the app was killed is not lost.
    pub fn capture_dir(&self) -> PathBuf {
        self.root.join("capture")
    }

    /// Removes leftovers of writes interrupted by a crash.
    pub fn clean_tmp(&self) {
        let _ = fs::remove_dir_all(self.root.join("tmp"));
    }

    pub fn path(&self, sha256: &str, file: PhotoFile) -> PathBuf {
        let (dir, ext) = match file {
            PhotoFile::Original => ("original", ""),
            PhotoFile::Upload => ("upload", ".jpg"),
            PhotoFile::Thumb => ("thumb", ".jpg"),
        };
        let fan = sha256.get(..2).unwrap_or("00");
        self.root.join(dir).join(fan).join(format!("{sha256}{ext}"))
    }

    /// Writes `bytes` as `file` of `sha256` durably, unless a whole copy is already there.
    pub fn put(&self, sha256: &str, file: PhotoFile, bytes: &[u8]) -> Result<()> {
        let path = self.path(sha256, file);
        if fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        let dir = path
            .parent()
            .ok_or_else(|| Error::Io(std::io::Error::other("no folder")))?;
        fs::create_dir_all(dir)?;
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let tmp = tmp_dir.join(format!("{}.{}", uuid::Uuid::now_v7(), std::process::id()));
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(Error::Io)
    }

    pub fn exists(&self, sha256: &str, file: PhotoFile) -> bool {
        self.path(sha256, file).is_file()
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}
