//! Photo blobs, content-addressed by SHA-256, behind [`BlobStore`] so an object store can
//! replace the filesystem. Uploads are resumable: bytes are appended to a partial file at the
//! offset the client names (which must be where the partial ends), and the blob becomes
//! visible only once its SHA-256 matches its name.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Where photo blobs are kept, by SHA-256 (64 lowercase hex digits; other ids are refused).
pub trait BlobStore: Send + Sync + 'static {
    /// Size of the complete blob, if stored.
    fn len(&self, sha256: &str) -> Result<Option<u64>>;
    /// Bytes received so far of an unfinished upload.
    fn partial_len(&self, sha256: &str) -> Result<u64>;
    /// Appends `data` at `offset`, which must equal [`BlobStore::partial_len`]; returns the new
    /// partial length.
    fn append(&self, sha256: &str, offset: u64, data: &[u8]) -> Result<u64>;
    /// Checks the partial upload's hash: on a match it becomes the blob (or is dropped if the
    /// blob is already stored) and `Ok(true)`; on a mismatch it is deleted and `Ok(false)`.
    fn finish(&self, sha256: &str) -> Result<bool>;
    /// Up to `max` bytes of the blob from `offset`.
    fn read(&self, sha256: &str, offset: u64, max: u64) -> Result<Vec<u8>>;
}

/// Blobs under `<data>/blobs/ab/<sha>`, partial uploads under `<data>/blobs/partial/`.
pub struct FsBlobStore {
    root: PathBuf,
    lock: Mutex<()>,
}

impl FsBlobStore {
    /// The store at `root`, creating the folder (and `partial/`) if needed.
    pub fn open(root: &Path) -> Result<FsBlobStore> {
        fs::create_dir_all(root.join("partial"))?;
        Ok(FsBlobStore {
            root: root.to_owned(),
            lock: Mutex::new(()),
        })
    }

    fn path(&self, sha: &str) -> PathBuf {
        self.root.join(&sha[..2]).join(sha)
    }

    fn partial(&self, sha: &str) -> PathBuf {
        self.root.join("partial").join(sha)
    }
}

fn check(sha: &str) -> Result<()> {
    if offgrid_protocol::is_sha256_hex(sha) {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "blob ids are lowercase hex SHA-256".into(),
        ))
    }
}

impl BlobStore for FsBlobStore {
    fn len(&self, sha: &str) -> Result<Option<u64>> {
        check(sha)?;
        match fs::metadata(self.path(sha)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn partial_len(&self, sha: &str) -> Result<u64> {
        check(sha)?;
        match fs::metadata(self.partial(sha)) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    fn append(&self, sha: &str, offset: u64, data: &[u8]) -> Result<u64> {
        check(sha)?;
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let have = self.partial_len(sha)?;
        if offset != have {
            return Err(Error::Conflict(format!(
                "upload offset {offset} does not match the {have} bytes received"
            )));
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.partial(sha))?;
        f.write_all(data)?;
        f.sync_data()?;
        Ok(have + data.len() as u64)
    }

    fn finish(&self, sha: &str) -> Result<bool> {
        check(sha)?;
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let partial = self.partial(sha);
        let mut f = File::open(&partial)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if offgrid_doc::json::hex(&hasher.finalize()) != sha {
            fs::remove_file(&partial)?;
            return Ok(false);
        }
        let dest = self.path(sha);
        if dest.exists() {
            fs::remove_file(&partial)?;
        } else {
            let dir = dest
                .parent()
                .ok_or_else(|| Error::Internal("blob path".into()))?;
            fs::create_dir_all(dir)?;
            fs::rename(&partial, &dest)?;
            File::open(dir)?.sync_all()?;
        }
        Ok(true)
    }

    fn read(&self, sha: &str, offset: u64, max: u64) -> Result<Vec<u8>> {
        check(sha)?;
        let mut f =
            File::open(self.path(sha)).map_err(|_| Error::NotFound(format!("no blob {sha}")))?;
        f.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::new();
        f.take(max).read_to_end(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(data: &[u8]) -> String {
        offgrid_protocol::sha256_hex(data)
    }

    #[test]
    fn resumable_upload_verifies_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::open(dir.path()).unwrap();
        let data = b"photo bytes".repeat(1000);
        let h = sha(&data);
        assert_eq!(s.append(&h, 0, &data[..5000]).unwrap(), 5000);
        assert!(matches!(
            s.append(&h, 4000, &data[4000..]),
            Err(Error::Conflict(_))
        ));
        assert_eq!(
            s.append(&h, 5000, &data[5000..]).unwrap(),
            data.len() as u64
        );
        assert!(s.finish(&h).unwrap());
        assert_eq!(s.len(&h).unwrap(), Some(data.len() as u64));
        assert_eq!(s.read(&h, 10, 5).unwrap(), &data[10..15]);

        let wrong = sha(b"other");
        s.append(&wrong, 0, b"not the other").unwrap();
        assert!(!s.finish(&wrong).unwrap());
        assert_eq!(s.partial_len(&wrong).unwrap(), 0);
        assert_eq!(s.len(&wrong).unwrap(), None);
        assert!(s.len("../../etc/passwd").is_err());
    }
}
