//! What kind of image a byte string is, from its first bytes (never from a file name).

/// A recognised container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JPEG (what phone cameras write).
    Jpeg,
    /// PNG (screenshots, scans).
    Png,
}

offgrid_common::named!(pub Format, "image format" {
    Jpeg => "jpeg",
    Png => "png",
});

/// The format of `bytes`, or the name of what it is instead (for the error message): "HEIC",
/// "AVIF", "an ISO media file", "WebP", "GIF", "empty" or "unknown".
pub fn sniff(bytes: &[u8]) -> Result<Format, &'static str> {
    match bytes {
        [] => Err("empty"),
        [0xFF, 0xD8, 0xFF, ..] => Ok(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Ok(Format::Png),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if brand.len() >= 4 => match &brand[..4] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                Err("HEIC")
            }
            b"avif" | b"avis" => Err("AVIF"),
            _ => Err("an ISO media file"),
        },
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Err("WebP"),
        [b'G', b'I', b'F', b'8', ..] => Err("GIF"),
        _ => Err("unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Ok(Format::Png));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Err("HEIC"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Err("HEIC"));
        assert_eq!(sniff(b""), Err("empty"));
        assert_eq!(sniff(b"hello world"), Err("unknown"));
    }
}
