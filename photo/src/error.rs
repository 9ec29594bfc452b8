//! The pipeline's one error type: what a photo cannot be, said before anything is stored.

/// Why a photo was refused or could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not an image the pipeline takes (JPEG and PNG are). `format` names what it is instead:
    /// "HEIC" (ask the camera for JPEG), "WebP", "empty", "unknown".
    #[error("unsupported image: {format} (JPEG or PNG expected)")]
    UnsupportedImage {
        /// What the bytes are instead.
        format: String,
    },

    /// The image is damaged (truncated, corrupt) or could not be processed.
    #[error("cannot decode {format} image: {reason}")]
    ImageDecode {
        /// "jpeg" or "png".
        format: String,
        /// What the decoder or encoder said.
        reason: String,
    },

    /// More pixels than the pipeline accepts (decompression bombs, huge panoramas), or than an
    /// image of its kind can be decoded with in the memory budget
    /// ([`crate::PhotoLimits::max_decode_bytes`]; a progressive JPEG needs far more than a
    /// baseline one). Refused from the headers, before decoding.
    #[error("image of {width}×{height} pixels exceeds the limit of {max_pixels} pixels{detail}")]
    ImageTooLarge {
        /// The width the headers claim.
        width: u32,
        /// The height the headers claim.
        height: u32,
        /// The limit that applies.
        max_pixels: u64,
        /// Empty for the plain pixel limit, or which kind and how much memory: " for a
        /// progressive JPEG (4:4:4): decoding it needs about 1.2 GB, more than the 150 MB
        /// memory budget".
        detail: String,
    },

    /// A derived image the encoder cannot take (a caller's size out of range).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// The pipeline's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
