//! Photo files, content-addressed, in a folder next to the database (`<db>.blobs/`):
//! `original/ab/abcd…` (the bytes as taken, the evidence), `upload/ab/abcd….jpg` and
//! `thumb/ab/abcd….jpg`. A file is written to `tmp/`, fsynced, renamed into place and the folder
//! fsynced, so after a crash a file is either whole or absent; `tmp/` is emptied at open.
//!
//! In an encrypted store every file is sealed (`sealed`: XChaCha20-Poly1305, the photo key from
//! the database) and read back through [`Blobs::read`] / [`Blobs::reader`], which refuse a file
//! that fails its authentication. Only `capture/` (the camera writes there before a photo is
//! attached) and `documents/` (documents made to be shared) hold plain files.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::sealed::{self, PhotoKey, Unsealer};
use crate::error::{Error, Result};

/// Which file of a photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoFile {
    /// The original bytes, unmodified.
    Original,
    /// Long edge 2048, upright JPEG: what is uploaded and shown full screen.
    Upload,
    /// Long edge 256, upright JPEG: lists and grids.
    Thumb,
}

impl PhotoFile {
    fn dir(self) -> &'static str {
        match self {
            PhotoFile::Original => "original",
            PhotoFile::Upload => "upload",
            PhotoFile::Thumb => "thumb",
        }
    }

    /// The name a sealed file is bound to (its associated data): `upload/<sha256>`.
    fn sealed_name(self, sha256: &str) -> String {
        format!("{}/{sha256}", self.dir())
    }

    /// The file name's extension: the original keeps none (it may be any format taken).
    pub(crate) fn extension(self) -> &'static str {
        if self == PhotoFile::Original {
            ""
        } else {
            ".jpg"
        }
    }
}

/// The photo files of one store, in the folder beside its database (`<db>.blobs/`), sealed when the
/// store is encrypted.
pub(crate) struct Blobs {
    root: PathBuf,
    seal: Option<Seal>,
}

/// How an encrypted store's files are sealed.
struct Seal {
    key: PhotoKey,
    /// Plain files are still read: set while the photos of a store encrypted in place are being
    /// sealed (a crash in between leaves some of each).
    accept_plain: bool,
}

/// A photo file being read: plain bytes whatever is on disk (a sealed file is decrypted and
/// checked chunk by chunk; a chunk that fails is an `InvalidData` error).
pub struct PhotoReader(ReaderKind);

enum ReaderKind {
    Plain(File),
    Sealed(Box<Unsealer<File>>),
}

impl Read for PhotoReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            ReaderKind::Plain(f) => f.read(buf),
            ReaderKind::Sealed(u) => u.read(buf),
        }
    }
}

impl Blobs {
    /// The blob folder of the database at `db`.
    pub(crate) fn for_db(db: &Path) -> Blobs {
        Blobs {
            root: super::sibling(db, ".blobs"),
            seal: None,
        }
    }

    /// Seals every file written from now on with `key` (an encrypted store).
    pub(crate) fn seal_with(&mut self, key: PhotoKey, accept_plain: bool) {
        self.seal = Some(Seal { key, accept_plain });
    }

    /// Where the camera writes photos before they are attached (`capture/`): kept across crashes,
    /// never emptied at open, so a shot taken just before the app was killed is not lost.
    pub(crate) fn capture_dir(&self) -> PathBuf {
        self.root.join("capture")
    }

    /// Removes leftovers of writes interrupted by a crash.
    pub(crate) fn clean_tmp(&self) {
        let _ = fs::remove_dir_all(self.root.join("tmp"));
    }

    /// Where a photo file is (sealed in an encrypted store: read it with [`Blobs::read`]).
    pub(crate) fn path(&self, sha256: &str, file: PhotoFile) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("00");
        self.root
            .join(file.dir())
            .join(fan)
            .join(format!("{sha256}{}", file.extension()))
    }

    /// The folder of a cache derived from the photos (e.g. documents' scaled copies), whose
    /// files go through [`Blobs::write_file`] / [`Blobs::read_file`].
    pub(crate) fn cache_dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `bytes` as `file` of `sha256` durably, unless a whole copy is already there.
    pub(crate) fn put(&self, sha256: &str, file: PhotoFile, bytes: &[u8]) -> Result<()> {
        let path = self.path(sha256, file);
        let whole = if self.seal.is_some() {
            sealed::sealed_len(bytes.len() as u64)
        } else {
            bytes.len() as u64
        };
        if fs::metadata(&path).is_ok_and(|m| m.len() == whole) {
            return Ok(());
        }
        self.write_file(&path, &file.sealed_name(sha256), bytes)
    }

    /// Writes `bytes` to `path` (in this folder) durably, sealed under `name` in an encrypted
    /// store: written to `tmp/`, fsynced, renamed into place, the folder fsynced.
    pub(crate) fn write_file(&self, path: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let sealed_bytes;
        let bytes = match &self.seal {
            Some(seal) => {
                sealed_bytes = sealed::seal(&seal.key, name, bytes)?;
                &sealed_bytes[..]
            }
            None => bytes,
        };
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
            fs::rename(&tmp, path)?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(Error::Io)
    }

    /// The plain bytes of `file` of `sha256`, or `None` if this device does not have it.
    /// A sealed file that fails its authentication is refused ([`Error::Corrupt`]).
    pub(crate) fn read(&self, sha256: &str, file: PhotoFile) -> Result<Option<Vec<u8>>> {
        self.read_file(&self.path(sha256, file), &file.sealed_name(sha256))
    }

    /// A reader of the plain bytes of `file` of `sha256` (decrypted as it is read), or `None`.
    pub(crate) fn reader(&self, sha256: &str, file: PhotoFile) -> Result<Option<PhotoReader>> {
        self.open_file(&self.path(sha256, file), &file.sealed_name(sha256))
    }

    /// The plain bytes of a file written by [`Blobs::write_file`], or `None` if absent.
    pub(crate) fn read_file(&self, path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(mut reader) = self.open_file(path, name)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).map_err(|e| refused(name, e))?;
        Ok(Some(out))
    }

    fn open_file(&self, path: &Path, name: &str) -> Result<Option<PhotoReader>> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(seal) = &self.seal else {
            return Ok(Some(PhotoReader(ReaderKind::Plain(file))));
        };
        let is_sealed = starts_sealed(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        if is_sealed {
            let unsealer = Unsealer::new(&seal.key, name, file).map_err(|e| refused(name, e))?;
            Ok(Some(PhotoReader(ReaderKind::Sealed(Box::new(unsealer)))))
        } else if seal.accept_plain {
            Ok(Some(PhotoReader(ReaderKind::Plain(file))))
        } else {
            Err(Error::Corrupt(format!(
                "photo file {name} is not sealed in an encrypted store"
            )))
        }
    }

    /// Seals the plain photo files of a store just encrypted in place (each one written
    /// sealed, then renamed over the plain one: a crash leaves every file whole, plain or
    /// sealed, and the next open goes on). Caches of derived files are dropped. Returns how
    /// many files were sealed.
    pub(crate) fn seal_existing(&self) -> Result<u64> {
        if self.seal.is_none() {
            return Ok(0);
        }
        let _ = fs::remove_dir_all(self.root.join("document-photos"));
        let mut count = 0;
        for file in [PhotoFile::Original, PhotoFile::Upload, PhotoFile::Thumb] {
            for path in files_under(&self.root.join(file.dir()))? {
                if starts_sealed(&mut File::open(&path)?)? {
                    continue;
                }
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let sha256 = name.strip_suffix(file.extension()).unwrap_or(&name);
                let plain = fs::read(&path)?;
                self.write_file(&path, &file.sealed_name(sha256), &plain)?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Whether `file` of the photo `sha256` is on disk (whole: files appear only by rename).
    pub(crate) fn exists(&self, sha256: &str, file: PhotoFile) -> bool {
        self.path(sha256, file).is_file()
    }
}

/// Whether the file read from its start begins as a sealed file does.
fn starts_sealed(file: &mut File) -> std::io::Result<bool> {
    let mut head = [0u8; sealed::MAGIC.len()];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(sealed::is_sealed(&head[..n]))
}

/// Every file two levels down (`<dir>/<fan>/<file>`), in no particular order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let fans = match fs::read_dir(dir) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for fan in fans {
        let fan = fan?.path();
        if fan.is_dir() {
            for entry in fs::read_dir(&fan)? {
                let path = entry?.path();
                if path.is_file() {
                    out.push(path);
                }
            }
        }
    }
    Ok(out)
}

/// A sealed file that does not open: typed as corruption, naming the file, not its content.
fn refused(name: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidData {
        Error::Corrupt(format!("photo file {name}: {e}"))
    } else {
        Error::Io(e)
    }
}

#[cfg(unix)]
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(super) fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}
