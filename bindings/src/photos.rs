//! Photos through the FFI: attach (from bytes or a file the camera wrote), list a record's
//! photos, find their files, and the upload queue. One line each over [`offgrid_core::Store`].

use offgrid_core::RecordId;
use offgrid_core::photo::{CaptureContext, PhotoMeta, PhotoTarget};
use offgrid_core::store::{PhotoFile, PhotoState, QueuedPhoto};

use crate::{OffgridStore, Result};

#[uniffi::export]
impl OffgridStore {
    /// Processes a JPEG or PNG and attaches it to `target`; the original is kept unmodified.
    /// Heavy (decoding a 12 MP photo): call it off the main thread.
    pub fn add_photo(
        &self,
        target: PhotoTarget,
        bytes: Vec<u8>,
        capture: CaptureContext,
    ) -> Result<PhotoMeta> {
        Ok(self.store()?.add_photo(&target, &bytes, &capture)?)
    }

    /// [`Self::add_photo`] from a file (what the camera wrote), without copying it through
    /// the FFI.
    pub fn add_photo_file(
        &self,
        target: PhotoTarget,
        path: String,
        capture: CaptureContext,
    ) -> Result<PhotoMeta> {
        let bytes = std::fs::read(&path).map_err(offgrid_core::Error::from)?;
        Ok(self.store()?.add_photo(&target, &bytes, &capture)?)
    }

    /// The photos recorded in a record, oldest first.
    pub fn photos(&self, id: RecordId) -> Result<Vec<PhotoMeta>> {
        Ok(self.store()?.photos(&id)?)
    }

    /// The path of a photo's original, upload copy or thumbnail, if this device has it.
    pub fn photo_path(&self, sha256: String, file: PhotoFile) -> Result<Option<String>> {
        Ok(self
            .store()?
            .photo_path(&sha256, file)?
            .map(|p| p.to_string_lossy().into_owned()))
    }

    /// The upload queue: photos in `state` (all when `None`), oldest first.
    pub fn photo_queue(&self, state: Option<PhotoState>) -> Result<Vec<QueuedPhoto>> {
        Ok(self.store()?.photo_queue(state)?)
    }
}
