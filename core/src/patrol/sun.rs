//! NTAG 424 DNA SUN (Secure Unique NFC) messages in a scanned tag's payload.
//!
//! A tag configured for SUN with its UID and read counter mirrored in plain text rewrites its
//! URL on every tap: `…?uid=04DE5F1EACC040&ctr=00003D&cmac=94EED9EE65337086`. The device keeps
//! the payload as read and matches the tag by its UID (`site::tag_key`); only the sync server,
//! which holds the tag's key, can tell a genuine tap from a copied or forged URL. It checks the
//! MAC and that no counter value of that tag was seen before, and sends its finding back with
//! the receipt of the change that recorded the scan ([`SunCheck`]). Devices never hold tag keys.
//!
//! Tags whose PICC data is encrypted (`e=…`) are not supported: a device could not tell which
//! checkpoint such a tag stands for without the key.

use std::str::FromStr;

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

/// What the sync server found when it checked a scan's SUN message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SunCheck {
    /// The MAC is the tag's and its counter was not seen before: a real tap.
    Valid,
    /// The MAC does not match the tag's key: a forged or altered URL.
    Invalid,
    /// A counter value of this tag seen in an earlier scan: a copied URL (the second to reach
    /// the server is flagged).
    Replayed,
    /// The server holds no key for this tag: not verified.
    NoKey,
}

impl SunCheck {
    pub const ALL: [SunCheck; 4] = [
        SunCheck::Valid,
        SunCheck::Invalid,
        SunCheck::Replayed,
        SunCheck::NoKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SunCheck::Valid => "sun_valid",
            SunCheck::Invalid => "sun_invalid",
            SunCheck::Replayed => "sun_replayed",
            SunCheck::NoKey => "sun_unverified",
        }
    }

    /// Whether a run's view flags it (everything but a valid tap).
    pub fn is_flag(self) -> bool {
        self != SunCheck::Valid
    }
}

impl FromStr for SunCheck {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        SunCheck::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
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

    #[test]
    fn checks_round_trip_their_names() {
        for c in SunCheck::ALL {
            assert_eq!(c.as_str().parse::<SunCheck>(), Ok(c));
        }
        assert!("valid".parse::<SunCheck>().is_err());
        assert!(!SunCheck::Valid.is_flag() && SunCheck::Replayed.is_flag());
    }
}
