//! Photos through the FFI: capture paths in the store's folder, attach by path (the file the
//! camera wrote, or a file elsewhere; photos never cross as bytes), discard a leftover capture,
//! list a record's photos, find their files, and the upload queue. One line each over
//! [`offgrid_core::Store`].

use std::sync::Arc;

use offgrid_core::RecordId;
use offgrid_core::photo::{CaptureContext, PhotoMeta, PhotoTarget};
use offgrid_core::store::{PhotoFile, PhotoState, QueuedPhoto};

use crate::{OffgridStore, Result};

/// Photos: capture paths, attaching, files, the upload queue.
#[derive(uniffi::Object)]
pub struct OffgridPhotos {
    owner: Arc<OffgridStore>,
}

#[uniffi::export]
impl OffgridStore {
    /// Photos: capture paths, attaching, files, the upload queue.
    pub fn photos(self: Arc<Self>) -> Arc<OffgridPhotos> {
        Arc::new(OffgridPhotos { owner: self })
    }
}

impl OffgridPhotos {
    /// The open store, or `Closed`.
    fn store(&self) -> Result<Arc<offgrid_core::Store>> {
        self.owner.store()
    }
}

#[uniffi::export]
impl OffgridPhotos {
    /// A new path in the store's capture folder for the camera to write a photo to.
    pub fn capture_path(&self) -> Result<String> {
        Ok(self.store()?.capture_path()?.to_string_lossy().into_owned())
    }

    /// Attaches the photo in the file at `path` without copying it through the FFI. A file in
    /// the capture folder (what the camera wrote at `capture_path()`) is removed once stored,
    /// and kept (see `leftover_captures`) if attaching fails; a file elsewhere is left as it is.
    pub fn add_captured(
        &self,
        target: PhotoTarget,
        path: String,
        capture: CaptureContext,
    ) -> Result<PhotoMeta> {
        Ok(self
            .store()?
            .add_captured(&target, std::path::Path::new(&path), &capture)?)
    }

    /// Photos taken but never attached (the app was killed in between), oldest first.
    pub fn leftover_captures(&self) -> Result<Vec<String>> {
        Ok(self
            .store()?
            .leftover_captures()?
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect())
    }

    /// Deletes a leftover capture the user does not want. Only files in the capture folder;
    /// any other path is refused (`InvalidArgument`) and left alone.
    pub fn discard_capture(&self, path: String) -> Result<()> {
        Ok(self.store()?.discard_capture(std::path::Path::new(&path))?)
    }

    /// The photos recorded in a record, oldest first.
    pub fn of_record(&self, id: RecordId) -> Result<Vec<PhotoMeta>> {
        Ok(self.store()?.photos(&id)?)
    }

    /// The bytes of a photo's original, upload copy or thumbnail, if this device has it
    /// (decrypted in an encrypted store: the files on disk are sealed, so shells read photos
    /// here, never by path). A file altered or damaged on disk is refused with `Corrupt`.
    pub fn read(&self, sha256: String, file: PhotoFile) -> Result<Option<Vec<u8>>> {
        Ok(self.store()?.photo_bytes(&sha256, file)?)
    }

    /// The upload queue: photos in `state` (all when `None`), oldest first.
    pub fn queue(&self, state: Option<PhotoState>) -> Result<Vec<QueuedPhoto>> {
        Ok(self.store()?.photo_queue(state)?)
    }
}
