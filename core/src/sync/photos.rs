//! Photo transfer: uploads the originals the server asks for (resumable: `HEAD` tells where an
//! interrupted upload stopped, `PUT` sends 1 MiB chunks with `Content-Range`), and downloads
//! the photos of pulled records this device lacks, verifying their hash before storing them.

use super::http::Transport;
use super::protocol::NeedBlob;
use crate::error::{Error, Result};
use crate::photo::{PhotoLimits, process};
use crate::store::{PhotoFile, PhotoState, Store};

/// Bytes per upload request: small enough to finish on one bar of signal.
pub const CHUNK: usize = 1 << 20;

/// Uploads one photo for its project. `Ok(false)` if this device does not hold it (another
/// device will upload it).
pub fn upload(t: &mut Transport, store: &Store, need: &NeedBlob) -> Result<bool> {
    let Some(data) = store.photo_bytes(&need.sha256, PhotoFile::Original)? else {
        return Ok(false);
    };
    let url = format!("/v1/blobs/{}?project={}", need.sha256, need.project);
    let (status, headers) = t.head(&url)?;
    if status == 200 {
        mark(store, &need.sha256, PhotoState::Verified);
        return Ok(true);
    }
    let mut offset = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        .min(data.len() as u64);
    mark(store, &need.sha256, PhotoState::Uploading);
    let total = data.len() as u64;
    if offset >= total {
        // Every byte arrived but the server never verified them (it stopped in between): the
        // last byte again makes it finish.
        offset = total.saturating_sub(1);
    }
    let mut conflicts = 0;
    // Every chunk moves the offset on; a server that does not is given up on.
    let max_requests = 3 * (data.len() / CHUNK + 2);
    for _ in 0..max_requests {
        t.check_cancel()?;
        let end = (offset as usize + CHUNK).min(data.len());
        let range = format!("bytes {offset}-{}/{total}", end.max(1) - 1);
        let res = t.put(
            &url,
            &[("content-range", range)],
            &data[offset as usize..end],
        );
        match res {
            Ok((200, _)) => {
                mark(store, &need.sha256, PhotoState::Verified);
                return Ok(true);
            }
            Ok((_, body)) => {
                offset = body
                    .get("offset")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(end as u64);
                mark(store, &need.sha256, PhotoState::Uploaded);
            }
            // Our idea of the offset is stale (a retried chunk that did arrive): ask again.
            Err(Error::Server { status: 409, .. }) if conflicts < 5 => {
                conflicts += 1;
                let (status, headers) = t.head(&url)?;
                if status == 200 {
                    mark(store, &need.sha256, PhotoState::Verified);
                    return Ok(true);
                }
                offset = headers
                    .get("upload-offset")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
            Err(e) => return Err(e),
        }
        if offset >= total {
            // Complete but the final answer was lost: HEAD decides.
            let (status, _) = t.head(&url)?;
            if status == 200 {
                mark(store, &need.sha256, PhotoState::Verified);
                return Ok(true);
            }
            offset = 0;
        }
    }
    Err(Error::Network(format!(
        "upload of photo {} made no progress",
        need.sha256
    )))
}

fn mark(store: &Store, sha: &str, state: PhotoState) {
    if let Err(e) = store.set_photo_state(sha, state) {
        tracing::debug!(error = %e, "photo state not recorded");
    }
}

/// Downloads a photo this device lacks, checks its hash, derives its smaller copies and stores
/// it as already verified.
pub fn download(t: &mut Transport, store: &Store, sha256: &str) -> Result<()> {
    let data = t.get_bytes(&format!("/v1/blobs/{sha256}"), 0)?;
    if crate::photo::sha256_hex(&data) != sha256 {
        return Err(Error::Network(format!(
            "photo {sha256} arrived damaged (hash differs)"
        )));
    }
    let processed = process(&data, &PhotoLimits::default())?;
    let blobs = store.blobs();
    blobs.put(sha256, PhotoFile::Original, &data)?;
    blobs.put(sha256, PhotoFile::Upload, &processed.upload)?;
    blobs.put(sha256, PhotoFile::Thumb, &processed.thumb)?;
    store.write(|w| w.record_photo(&processed.info))?;
    mark(store, sha256, PhotoState::Verified);
    Ok(())
}
