//! What documents read, and where from: [`Source`]. The device's store implements it over its
//! SQLite store; the server can implement it over its own database. The documents read nothing
//! else: the same records in the same state give byte-identical files wherever they are made.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use offgrid_common::model::RecordId;
use offgrid_common::zone::Zone;
use offgrid_domain::checklist::Template;
use offgrid_domain::hazard::{Hazard, Register, RegisterQuery};
use offgrid_domain::inspection::read::Inspection;
use offgrid_domain::photo::PhotoMeta;

/// The records, photos and settings a document is made from.
pub trait Source: Sync {
    /// The source's own error; this crate's errors convert into it.
    type Error: From<crate::Error> + Send;

    /// The organisation's time zone: deadlines and "as of" dates are shown in it.
    fn zone(&self) -> Zone;

    /// A record's heads (change hashes, hex), as the document shows them.
    fn heads(&self, id: &RecordId) -> Result<Vec<String>, Self::Error>;

    /// An inspection with its progress against its template.
    fn inspection(&self, id: &RecordId) -> Result<Inspection, Self::Error>;

    /// The template version an inspection is pinned to.
    fn inspection_template(&self, id: &RecordId) -> Result<Arc<Template>, Self::Error>;

    /// What a record holds of each of its photos.
    fn photos(&self, record: &RecordId) -> Result<Vec<PhotoMeta>, Self::Error>;

    /// A site's name and address, when `site` is a site record here (`None`: shown as written).
    fn site(&self, site: &str) -> Option<(String, String)>;

    /// The image of an inspection's signature (its key in `signatures`), when it holds one that
    /// decodes as a PNG or JPEG (else the signer's name alone is shown).
    fn signature_image(&self, inspection: &RecordId, key: &str) -> Option<Vec<u8>>;

    /// Hazards, each with the heads it was read at (one read per hazard).
    fn hazards_with_heads(
        &self,
        ids: &[RecordId],
    ) -> Result<Vec<(Hazard, Vec<String>)>, Self::Error>;

    /// The ids of a project's hazards.
    fn project_hazards(&self, project: &str) -> Result<Vec<RecordId>, Self::Error>;

    /// Whether the photo's file is here (else the document shows a captioned gap).
    fn has_photo(&self, sha256: &str) -> Result<bool, Self::Error>;

    /// Each photo as documents print it: the upload copy scaled to `long_edge` pixels and
    /// encoded as a JPEG of `quality`, in the order asked for.
    fn document_photos(
        &self,
        sha256: &[String],
        long_edge: u32,
        quality: u8,
    ) -> Result<Vec<Vec<u8>>, Self::Error>;

    /// A photo's thumbnail (JPEG), if it is here.
    fn thumbnail(&self, sha256: &str) -> Option<Vec<u8>>;

    /// The hazard register's rows and counts for `query`.
    fn register(&self, query: &RegisterQuery) -> Result<Register, Self::Error>;

    /// Hazard id → the number of the latest rectification notice made here that lists it.
    fn notice_numbers(&self) -> Result<HashMap<String, String>, Self::Error>;

    /// A folder the spreadsheet writer may stream rows to (it is not held whole in memory).
    fn temp_dir(&self) -> Result<PathBuf, Self::Error>;
}
