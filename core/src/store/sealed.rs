//! Photo files sealed at rest (ADR 0012): XChaCha20-Poly1305 in the STREAM construction
//! (big-endian 32-bit counter, last-chunk flag), 64 KiB chunks, a random 19-byte nonce per file.
//!
//! ```text
//! "OGSEAL01" | nonce (19) | chunk 0 (≤ 64 KiB + 16-byte tag) | … | last chunk (may be just a tag)
//! ```
//!
//! Each chunk is authenticated with the photo's name (`<file>/<sha256>`) as associated data, so
//! one photo's file cannot be passed off as another's, and the last-chunk flag makes a truncated
//! file fail. A flipped bit fails the chunk it is in: the reader returns an error, never the
//! altered bytes. The name of a photo stays the SHA-256 of its plain original, so sync, dedup and
//! evidence do not change.
//!
//! The photo key is random, made when the store is first encrypted and kept in the encrypted
//! database (`meta.photo_key`): only the store key reaches it, and changing the store key does
//! not rewrite the photos.

use std::io::{self, Read};

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305};
use zeroize::Zeroizing;

use super::key::StoreKey;
use crate::error::{Error, Result};

/// The first bytes of a sealed file (no image format starts with them).
pub(crate) const MAGIC: &[u8; 8] = b"OGSEAL01";
const NONCE: usize = 19;
/// Plain bytes per chunk.
pub(crate) const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// The key photo files are sealed with: a key of the same form as the store's, but its own.
#[derive(Clone)]
pub(crate) struct PhotoKey(StoreKey);

impl PhotoKey {
    pub(crate) fn generate() -> PhotoKey {
        PhotoKey(StoreKey::generate())
    }

    pub(crate) fn from_hex(hex: &str) -> Result<PhotoKey> {
        StoreKey::from_hex(hex)
            .map(PhotoKey)
            .map_err(|_| Error::Corrupt("the stored photo key is not 64 hex digits".into()))
    }

    pub(crate) fn to_hex(&self) -> Zeroizing<String> {
        self.0.hex()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.0.bytes()[..]))
    }
}

/// Whether a file starting with `head` is sealed.
pub(crate) fn is_sealed(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// The length of `plain` bytes once sealed.
pub(crate) fn sealed_len(plain: u64) -> u64 {
    (MAGIC.len() + NONCE) as u64 + plain + TAG as u64 * (plain / CHUNK as u64 + 1)
}

/// Seals `plain` under `name` (the associated data).
pub(crate) fn seal(key: &PhotoKey, name: &str, plain: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE] = rand::random();
    let mut out = Vec::with_capacity(sealed_len(plain.len() as u64) as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    let mut enc = EncryptorBE32::from_aead(key.cipher(), nonce.as_slice().into());
    let mut chunks = plain.chunks(CHUNK).peekable();
    let failed = |_| Error::Io(io::Error::other("sealing a photo failed"));
    // A length that is a multiple of the chunk ends with an empty last chunk (just its tag).
    loop {
        let chunk = chunks.next().unwrap_or(&[]);
        let payload = Payload {
            msg: chunk,
            aad: name.as_bytes(),
        };
        if chunks.peek().is_none() && chunk.len() < CHUNK {
            out.extend(enc.encrypt_last(payload).map_err(failed)?);
            return Ok(out);
        }
        out.extend(enc.encrypt_next(payload).map_err(failed)?);
    }
}

/// Reads the plain bytes of a sealed file, checking every chunk as it goes.
pub(crate) struct Unsealer<R> {
    inner: R,
    name: String,
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
    /// The next chunk of ciphertext (read one ahead, to know which chunk is the last).
    next: Vec<u8>,
    plain: Vec<u8>,
    at: usize,
}

impl<R: Read> Unsealer<R> {
    /// Starts reading `inner`, positioned at the start of a sealed file.
    pub(crate) fn new(key: &PhotoKey, name: &str, mut inner: R) -> io::Result<Unsealer<R>> {
        let mut head = [0u8; 8 + NONCE];
        if read_full(&mut inner, &mut head)? < head.len() || !is_sealed(&head) {
            return Err(tampered("its header is missing"));
        }
        let nonce = &head[MAGIC.len()..];
        let decryptor = DecryptorBE32::from_aead(key.cipher(), nonce.into());
        let mut next = vec![0; CHUNK + TAG];
        let n = read_full(&mut inner, &mut next)?;
        next.truncate(n);
        Ok(Unsealer {
            inner,
            name: name.to_owned(),
            decryptor: Some(decryptor),
            next,
            plain: Vec::new(),
            at: 0,
        })
    }

    /// Decrypts the next chunk into `plain`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        let Some(mut decryptor) = self.decryptor.take() else {
            return Ok(false);
        };
        let current = std::mem::take(&mut self.next);
        let last = if current.len() < CHUNK + TAG {
            true
        } else {
            let mut following = vec![0; CHUNK + TAG];
            let n = read_full(&mut self.inner, &mut following)?;
            following.truncate(n);
            self.next = following;
            n == 0
        };
        let payload = Payload {
            msg: &current,
            aad: self.name.as_bytes(),
        };
        let plain = if last {
            decryptor.decrypt_last(payload)
        } else {
            let plain = decryptor.decrypt_next(payload);
            self.decryptor = Some(decryptor);
            plain
        };
        self.plain = plain.map_err(|_| tampered("a chunk fails its authentication"))?;
        self.at = 0;
        Ok(true)
    }
}

impl<R: Read> Read for Unsealer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.plain.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.plain.len() - self.at);
        buf[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The error a reader of a damaged or altered sealed file gets.
fn tampered(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("sealed photo file refused: {what} (altered, truncated or damaged)"),
    )
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unseal(key: &PhotoKey, name: &str, sealed: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Unsealer::new(key, name, sealed)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_chunk_boundary() {
        let key = PhotoKey::generate();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let sealed = seal(&key, "original/ab", &plain).unwrap();
            assert_eq!(sealed.len() as u64, sealed_len(len as u64), "len {len}");
            assert!(is_sealed(&sealed));
            assert_eq!(
                unseal(&key, "original/ab", &sealed).unwrap(),
                plain,
                "len {len}"
            );
        }
    }

    #[test]
    fn any_flipped_bit_truncation_or_other_name_is_refused() {
        let key = PhotoKey::generate();
        let plain: Vec<u8> = (0..2 * CHUNK + 100).map(|i| i as u8).collect();
        let sealed = seal(&key, "upload/cd", &plain).unwrap();
        for at in [8, 8 + NONCE, 8 + NONCE + 5, CHUNK + 200, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 0x10;
            let err = unseal(&key, "upload/cd", &bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "bit at {at}");
        }
        // Cut at a chunk boundary: every chunk left is whole, but none is marked last.
        let cut = 8 + NONCE + CHUNK + TAG;
        assert!(unseal(&key, "upload/cd", &sealed[..cut]).is_err());
        assert!(unseal(&key, "upload/cd", &sealed[..sealed.len() - 1]).is_err());
        assert!(
            unseal(&key, "thumb/cd", &sealed).is_err(),
            "bound to its name"
        );
        assert!(unseal(&PhotoKey::generate(), "upload/cd", &sealed).is_err());
        // Two seals of the same bytes differ (fresh nonce), both open.
        let again = seal(&key, "upload/cd", &plain).unwrap();
        assert_ne!(again, sealed);
        assert_eq!(unseal(&key, "upload/cd", &again).unwrap(), plain);
    }
}
