//! NTAG 424 DNA SUN (Secure Unique NFC) messages in a scanned tag's payload.
//!
//! A tag configured for SUN with its UID and read counter mirrored in plain text rewrites its
//! URL on every tap: `…?uid=04DE5F1EACC040&ctr=00003D&cmac=94EED9EE65337086`. The device keeps
//! the payload as read and matches the tag by its UID (`site::tag_key`); only the sync server,
//! which holds the tag's key, can tell a genuine tap from a copied or forged URL. It checks the
//! MAC and that no counter value of that tag was seen before, and sends its finding back with
//! the receipt of the change that recorded the scan ([`super::check::ServerCheck`]). Devices never hold tag keys.
//!
//! Tags whose PICC data is encrypted (`e=…`) are not supported: a device could not tell which
//! checkpoint such a tag stands for without the key.

/// The SUN fields of a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SunMessage {
    /// The tag's 7-byte UID, 14 hex digits, upper case.
    pub uid: String,
    /// The tag's read counter (SDMReadCtr), as mirrored: 6 hex digits, most significant first.
    pub counter: u32,
    /// The truncated CMAC, 8 bytes.
    pub mac: [u8; 8],
}

/// The SUN message in `payload`: a URL with `uid` (14 hex digits), `ctr` (6) and `cmac` (16)
/// parameters, names in any case. `None` for anything else (a QR label, a plain NFC URL).
pub fn parse(payload: &str) -> Option<SunMessage> {
    let (_, query) = payload.trim().split_once('?')?;
    let (mut uid, mut ctr, mut cmac) = (None, None, None);
    for pair in query.split(['&', '#']) {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let slot = match k.to_ascii_lowercase().as_str() {
            "uid" => &mut uid,
            "ctr" => &mut ctr,
            "cmac" => &mut cmac,
            _ => continue,
        };
        *slot = Some(v);
    }
    let (uid, ctr, cmac) = (uid?, ctr?, cmac?);
    let hex_of = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !(hex_of(uid, 14) && hex_of(ctr, 6) && hex_of(cmac, 16)) {
        return None;
    }
    let mut mac = [0u8; 8];
    for (i, b) in mac.iter_mut().enumerate() {
        *b = u8::from_str_radix(&cmac[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(SunMessage {
        uid: uid.to_ascii_uppercase(),
        counter: u32::from_str_radix(ctr, 16).ok()?,
        mac,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_mirror_url_parses() {
        let m = parse("https://tag.example/t?uid=04de5f1eacc040&ctr=00003D&cmac=94EED9EE65337086")
            .unwrap();
        assert_eq!(m.uid, "04DE5F1EACC040");
        assert_eq!(m.counter, 0x3D);
        assert_eq!(m.mac, [0x94, 0xEE, 0xD9, 0xEE, 0x65, 0x33, 0x70, 0x86]);
        let m = parse("https://t.example/s?CMAC=0011223344556677&UID=041E3C8A2D6B80&Ctr=010000")
            .unwrap();
        assert_eq!(m.counter, 0x010000);
    }

    #[test]
    fn anything_else_is_not_a_sun_message() {
        for payload in [
            "QR-B2-出入口",
            "https://tag.example/t?uid=04DE5F1EACC040",
            "https://tag.example/t?uid=04DE5F1EACC040&ctr=3D&cmac=94EED9EE65337086",
            "https://tag.example/t?uid=04DE5F1EACC0&ctr=00003D&cmac=94EED9EE65337086",
            "https://tag.example/t?uid=04DE5F1EACC040&ctr=00003D&cmac=94EED9EE6533708G",
            "https://ntag.nxp.com/424?e=EF963FF7828658A599F3041510671E88&c=94EED9EE65337086",
        ] {
            assert_eq!(parse(payload), None, "{payload}");
        }
    }
}
