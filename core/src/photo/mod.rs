//! Photos on the device: the pipeline itself (decoding within a memory budget, EXIF, upright
//! copies, thumbnails) is `offgrid-photo`, re-exported here under the same paths; what this
//! module adds is attaching a processed photo to a record ([`PhotoTarget`]) and the capture
//! context the shell reports ([`CaptureContext`]), which the store writes in one transaction.
//!
//! Storing the files and the metadata is the store's job (`store::blobs`, `Store::add_photo`).

mod attach;

pub use attach::{CaptureContext, PhotoMeta, PhotoTarget};
pub use offgrid_photo::{
    Error as PhotoError, ExifData, Format, GpsFix, PhotoInfo, PhotoLimits, Processed, Rgb, decode,
    encode, exif, format, orient, peak_estimate, process, process_observed, sha256_hex, transform,
};
