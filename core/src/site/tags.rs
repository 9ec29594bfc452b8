//! Binding and unbinding tags on the device. What a tag is and how its events fold is
//! `offgrid_domain::site::tags`'s.

pub use offgrid_domain::site::tags::*;

use super::{CheckMethod, Site};
use crate::error::{Error, Result};
use crate::model::RecordId;
use crate::store::Store;

impl Store {
    /// Binds a tag (its raw NDEF URI or QR text) to a checkpoint. The checkpoint must accept
    /// the method, and the tag must not stand for another checkpoint now (unbind it first).
    pub fn bind_tag(
        &self,
        site: &RecordId,
        checkpoint: &str,
        payload: &str,
        method: CheckMethod,
    ) -> Result<TagEvent> {
        if method == CheckMethod::ManualPhoto {
            return Err(Error::InvalidArgument(
                "a tag is read by NFC or scanned as a QR code".into(),
            ));
        }
        let key = tag_key(payload)?;
        let now = self.now().unix_ms;
        // Other sites are read as committed; this site's checkpoint inside the write.
        if let Some(b) = self.tag_binding(payload, now)? {
            return Err(Error::InvalidState {
                action: "bind the tag".into(),
                state: format!(
                    "it stands for {} / {} (unbind it first)",
                    b.site_name, b.checkpoint_name
                ),
            });
        }
        let kind = TagEventKind::Bind {
            checkpoint: checkpoint.to_owned(),
            method,
        };
        self.tag_event(site, key, kind, |s| {
            let cp = s
                .checkpoints
                .iter()
                .find(|c| c.id == checkpoint)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("the site has no checkpoint {checkpoint}"))
                })?;
            if cp.retired {
                return Err(Error::InvalidState {
                    action: "bind a tag".into(),
                    state: "the checkpoint is retired".into(),
                });
            }
            if !cp.methods.contains(&method) {
                return Err(Error::InvalidArgument(format!(
                    "checkpoint {} does not accept {}",
                    cp.name,
                    method.as_str()
                )));
            }
            Ok(())
        })
    }

    /// Unbinds a tag from the site's checkpoint it stands for now (replaced, lost, stolen).
    pub fn unbind_tag(&self, site: &RecordId, payload: &str, reason: &str) -> Result<TagEvent> {
        let key = tag_key(payload)?;
        let kind = TagEventKind::Unbind {
            reason: reason.trim().to_owned(),
        };
        let bound = key.clone();
        self.tag_event(site, key, kind, move |s| {
            if bound_now(&s.tag_events).contains_key(&bound) {
                Ok(())
            } else {
                Err(Error::InvalidState {
                    action: "unbind the tag".into(),
                    state: "it is not bound at this site".into(),
                })
            }
        })
    }

    /// Which checkpoint the tag stood for at `at_ms` (UTC ms), as far as this device knows.
    pub fn tag_binding(&self, payload: &str, at_ms: i64) -> Result<Option<TagBinding>> {
        let key = tag_key(payload)?;
        let sites = self.sites_with_tag(&key)?;
        Ok(binding_at(&sites, &key, at_ms))
    }

    /// Every bind and unbind of the tag, with its site, in time order.
    pub fn tag_history(&self, payload: &str) -> Result<Vec<(RecordId, TagEvent)>> {
        let key = tag_key(payload)?;
        let mut out: Vec<(RecordId, TagEvent)> = self
            .sites_with_tag(&key)?
            .into_iter()
            .flat_map(|s| {
                let id = s.id.clone();
                s.tag_events
                    .into_iter()
                    .filter(|e| e.tag == key)
                    .map(move |e| (id.clone(), e))
            })
            .collect();
        out.sort_by(|a, b| (a.1.at_ms, &a.1.id).cmp(&(b.1.at_ms, &b.1.id)));
        Ok(out)
    }

    fn sites_with_tag(&self, key: &str) -> Result<Vec<Site>> {
        self.records_with_key(&format!("tag:{key}"))?
            .iter()
            .map(|id| self.site(id))
            .collect()
    }

    /// Records a bind or unbind, after `check` accepts the site as it is in the write.
    fn tag_event(
        &self,
        site: &RecordId,
        key: String,
        kind: TagEventKind,
        check: impl FnOnce(&Site) -> Result<()>,
    ) -> Result<TagEvent> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let now = self.now();
        let event = TagEvent {
            id: RecordId::new().0,
            kind,
            tag: key,
            by: user.id.clone(),
            by_name: user.name.clone(),
            at_ms: now.unix_ms,
            offset_minutes: now.offset_minutes,
        };
        let value = serde_json::to_value(&event)?;
        let what = match event.kind {
            TagEventKind::Bind { .. } => "bind tag",
            TagEventKind::Unbind { .. } => "unbind tag",
        };
        self.site_write(site, what, |e, s| {
            check(s)?;
            Ok(e.insert("/tags", &event.id, &value)?)
        })?;
        Ok(event)
    }
}
