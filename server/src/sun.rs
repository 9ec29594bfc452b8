//! NTAG 424 DNA SUN messages in pushed patrol scans, checked with the tag keys only the server
//! holds (`offgrid admin tag-key`).
//!
//! The MAC (NT4H2421Gx §9.3.9, AN12196 §4.4): the session key is
//! `CMAC(K_SDMFileRead, 3CC3 0001 0080 ‖ UID ‖ SDMReadCtr (LSB first))`, the MAC is
//! `CMAC(session key, ∅)` with its odd-numbered bytes kept (tags set up with the MAC input
//! offset equal to the MAC offset, i.e. the MAC covers no file data). Compared in constant time.
//!
//! Counters: a scan is made offline and may reach the server after a later one from another
//! device, so a lower counter than the highest seen is not a replay; a counter value seen
//! before is (a copied URL). Each counter value is claimed once per tag, with the change that
//! carried it; the second change to bring it is flagged `sun_replayed`.

use aes::Aes128;
use aes::cipher::KeyInit;
use cmac::{Cmac, Mac};
use offgrid_domain::patrol::check::ServerCheck;
use offgrid_domain::patrol::sun::{self, SunMessage};
use subtle::ConstantTimeEq;

use crate::backend::{Backend, Tx, transact};
use crate::error::{Error, Result};

/// A tag with a key on the server (the key is never shown).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TagKeyInfo {
    /// The tag's UID (14 hex digits, upper case).
    pub uid: String,
    /// When its key was set (UTC ms).
    pub added_ms: i64,
    /// How many counter values of the tag's scans the server has seen.
    pub counters_seen: i64,
}

/// Sets the AES-128 key (32 hex digits) of the tag with `uid` (14 hex digits), replacing any.
pub fn set_key(b: &dyn Backend, uid: &str, key_hex: &str) -> Result<()> {
    let uid = parse_uid(uid)?;
    let key = parse_hex(key_hex, 16)
        .ok_or_else(|| Error::BadRequest("a tag key is 32 hex digits (AES-128)".into()))?;
    let now = crate::accounts::now_ms();
    transact(b, |tx| tx.set_tag_key(&uid, &key, now))
}

/// Removes the tag's key: its scans are no longer verified (`sun_unverified`).
pub fn remove_key(b: &dyn Backend, uid: &str) -> Result<()> {
    let uid = parse_uid(uid)?;
    if transact(b, |tx| tx.remove_tag_key(&uid))? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("no key for tag {uid}")))
    }
}

/// Every tag with a key, by UID.
pub fn keys(b: &dyn Backend) -> Result<Vec<TagKeyInfo>> {
    let rows = transact(b, |tx| tx.tag_keys())?;
    Ok(rows
        .into_iter()
        .map(|(uid, added_ms, counters_seen)| TagKeyInfo {
            uid,
            added_ms,
            counters_seen,
        })
        .collect())
}

fn parse_uid(uid: &str) -> Result<String> {
    parse_hex(uid, 7)
        .map(|_| uid.to_ascii_uppercase())
        .ok_or_else(|| Error::BadRequest("a tag UID is 14 hex digits (7 bytes)".into()))
}

fn parse_hex(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != 2 * len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..len)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// The 8-byte MAC a tag with `key` writes for `uid` at read counter `counter`.
pub fn mac(key: &[u8; 16], uid: &[u8; 7], counter: u32) -> [u8; 8] {
    let mut sv2 = [0u8; 16];
    sv2[..6].copy_from_slice(&[0x3C, 0xC3, 0x00, 0x01, 0x00, 0x80]);
    sv2[6..13].copy_from_slice(uid);
    sv2[13..].copy_from_slice(&counter.to_le_bytes()[..3]);
    let session = cmac_of(key, &sv2);
    let full = cmac_of(&session, &[]);
    std::array::from_fn(|i| full[2 * i + 1])
}

fn cmac_of(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    let mut m = <Cmac<Aes128> as KeyInit>::new(key.into());
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Checks one SUN message carried by change `hash` of `record`, claiming its counter.
pub fn check(tx: &mut dyn Tx, msg: &SunMessage, record: &str, hash: &str) -> Result<ServerCheck> {
    let Some(key) = tx.tag_key(&msg.uid)? else {
        return Ok(ServerCheck::NoKey);
    };
    let uid = parse_hex(&msg.uid, 7).and_then(|u| <[u8; 7]>::try_from(u).ok());
    let (Ok(key), Some(uid)) = (<[u8; 16]>::try_from(key.as_slice()), uid) else {
        return Ok(ServerCheck::NoKey);
    };
    if !bool::from(mac(&key, &uid, msg.counter).ct_eq(&msg.mac)) {
        return Ok(ServerCheck::Invalid);
    }
    Ok(
        if tx.claim_tag_counter(&msg.uid, msg.counter, record, hash)? {
            ServerCheck::Valid
        } else {
            ServerCheck::Replayed
        },
    )
}

/// What a change of a patrol run holds that the server checks, read from its operations once:
/// the SUN messages among the scan payloads it writes, and whether it records a scan at all
/// (writes a `verdict`).
pub struct ScanOps {
    /// The SUN messages among the `payload` values it writes (those that parse).
    pub payloads: Vec<SunMessage>,
    /// Whether it writes a `verdict`.
    pub records_scan: bool,
}

/// What the change `data` holds that the server checks (nothing, if it does not parse).
pub fn scan_ops(data: &[u8]) -> ScanOps {
    let mut out = ScanOps {
        payloads: Vec::new(),
        records_scan: false,
    };
    let Ok(change) = automerge::Change::from_bytes(data.to_vec()) else {
        return out;
    };
    for op in &change.decode().operations {
        let automerge::legacy::Key::Map(key) = &op.key else {
            continue;
        };
        match key.as_str() {
            "verdict" => out.records_scan = true,
            "payload" => {
                if let Some(automerge::ScalarValue::Str(s)) = op.primitive_value()
                    && let Some(msg) = sun::parse(&s)
                {
                    out.payloads.push(msg);
                }
            }
            _ => {}
        }
    }
    out
}

/// The server's findings on the SUN messages of change `hash` of `record` (one scan per change;
/// each message's finding, each once).
pub fn check_payloads(
    tx: &mut dyn Tx,
    record: &str,
    hash: &str,
    payloads: &[SunMessage],
) -> Result<Vec<ServerCheck>> {
    let mut found = Vec::new();
    for msg in payloads {
        let c = check(tx, msg, record, hash)?;
        if !found.contains(&c) {
            found.push(c);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex<const N: usize>(s: &str) -> [u8; N] {
        std::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
    }

    #[test]
    fn the_mac_of_the_an12196_example() {
        // AN12196 §4.4: key 00…00, UID 04DE5F1EACC040, counter 0x3D.
        let m = mac(&[0; 16], &hex("04DE5F1EACC040"), 0x3D);
        assert_eq!(m, hex::<8>("94EED9EE65337086"));
    }

    #[test]
    fn the_mac_of_a_plain_mirror_tag() {
        let m = mac(&[0; 16], &hex("041E3C8A2D6B80"), 6);
        assert_eq!(m, hex::<8>("4B00064004B0B3D3"));
    }

    #[test]
    fn another_key_or_counter_gives_another_mac() {
        let uid = hex("04DE5F1EACC040");
        let m = mac(&[0; 16], &uid, 0x3D);
        assert_ne!(mac(&[1; 16], &uid, 0x3D), m);
        assert_ne!(mac(&[0; 16], &uid, 0x3E), m);
    }
}
