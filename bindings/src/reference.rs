//! The organisation's reference data through the FFI (ADR 0007), as two sub-objects of the
//! store: `store.grid()` (cells, members, boundaries) and `store.sites()` (sites, checkpoints,
//! tags). Each method is one line over [`offgrid_core::Store`]; closing the store closes them.

use std::sync::Arc;

use offgrid_core::grid::{GridCell, GridMember, NewGridCell};
use offgrid_core::site::{
    CheckMethod, NewCheckpoint, NewSite, Site, SiteEdit, SiteQuery, TagBinding, TagEvent,
};
use offgrid_core::{RecordId, RecordSummary};

use crate::{OffgridStore, Result};

/// The grid of the organisation: cells city → district → street → community → grid.
#[derive(uniffi::Object)]
pub struct OffgridGrid {
    owner: Arc<OffgridStore>,
}

/// Sites (人防工程), their checkpoints and the tags bound to them.
#[derive(uniffi::Object)]
pub struct OffgridSites {
    owner: Arc<OffgridStore>,
}

/// One bind or unbind of a tag, with the site that holds it.
#[derive(uniffi::Record)]
pub struct SiteTagEvent {
    /// The site whose record holds the event.
    pub site: RecordId,
    /// The bind or unbind: who, when (UTC ms) and to which checkpoint or why.
    pub event: TagEvent,
}

#[uniffi::export]
impl OffgridStore {
    /// Grid cells, their members and boundaries.
    pub fn grid(self: Arc<Self>) -> Arc<OffgridGrid> {
        Arc::new(OffgridGrid { owner: self })
    }

    /// Sites, checkpoints and tags.
    pub fn sites(self: Arc<Self>) -> Arc<OffgridSites> {
        Arc::new(OffgridSites { owner: self })
    }
}

#[uniffi::export]
impl OffgridGrid {
    /// Adds a cell under its parent (one or more levels up); returns its id.
    pub fn add(&self, cell: NewGridCell) -> Result<RecordId> {
        Ok(self.owner.store()?.add_grid_cell(&cell)?)
    }

    /// The cell `id`: code, name, level, parent, boundary and members. `NotFound` if it is not
    /// held here, `InvalidArgument` if the record is not a grid cell. Reads the database.
    pub fn cell(&self, id: RecordId) -> Result<GridCell> {
        Ok(self.owner.store()?.grid_cell(&id)?)
    }

    /// The cell with this code, if this device holds it.
    pub fn cell_by_code(&self, code: String) -> Result<Option<RecordId>> {
        Ok(self.owner.store()?.grid_cell_by_code(&code)?)
    }

    /// The cells directly under `parent` (`null`: the cities held here), by code.
    pub fn children(&self, parent: Option<RecordId>) -> Result<Vec<GridCell>> {
        Ok(self.owner.store()?.grid_children(parent.as_ref())?)
    }

    /// The cell and every cell under it, depth first.
    pub fn subtree(&self, id: RecordId) -> Result<Vec<GridCell>> {
        Ok(self.owner.store()?.grid_subtree(&id)?)
    }

    /// The cells a user is a member of (e.g. the signed-in grid member's own).
    pub fn cells_of(&self, user: String) -> Result<Vec<GridCell>> {
        Ok(self.owner.store()?.grid_cells_of(&user)?)
    }

    /// Adds `member` to the cell, or changes the name and role of the member with that user
    /// id. Organisation admins only (`Forbidden`); `InvalidArgument` for a blank user id or a
    /// record that is not a grid cell; `NotFound` if the cell is not held here.
    pub fn set_member(&self, cell: RecordId, member: GridMember) -> Result<()> {
        Ok(self.owner.store()?.set_grid_member(&cell, &member)?)
    }

    /// Removes the member with user id `user` from the cell; nothing happens if there is none.
    /// Organisation admins only (`Forbidden`); `NotFound` if the cell is not held here.
    pub fn remove_member(&self, cell: RecordId, user: String) -> Result<()> {
        Ok(self.owner.store()?.remove_grid_member(&cell, &user)?)
    }

    /// Draws the boundary (GeoJSON Polygon/MultiPolygon, or a Feature of one); `null` erases.
    pub fn set_boundary(&self, cell: RecordId, geojson: Option<String>) -> Result<()> {
        Ok(self
            .owner
            .store()?
            .set_grid_boundary(&cell, geojson.as_deref())?)
    }

    /// Renames the cell (the name is trimmed; a blank one is `InvalidArgument`). Organisation
    /// admins only (`Forbidden`); `NotFound` if the cell is not held here.
    pub fn rename(&self, cell: RecordId, name: String) -> Result<()> {
        Ok(self.owner.store()?.rename_grid_cell(&cell, &name)?)
    }
}

#[uniffi::export]
impl OffgridSites {
    /// Adds a site in a grid cell; returns its id.
    pub fn add(&self, site: NewSite) -> Result<RecordId> {
        Ok(self.owner.store()?.add_site(&site)?)
    }

    /// The site `id`, with its checkpoints in route order and its tag events. `NotFound` if it
    /// is not held here, `InvalidArgument` if the record is not a site. Reads the database.
    pub fn site(&self, id: RecordId) -> Result<Site> {
        Ok(self.owner.store()?.site(&id)?)
    }

    /// Sites held here matching the query, by name (from the list tables).
    pub fn list(&self, query: SiteQuery) -> Result<Vec<RecordSummary>> {
        Ok(self.owner.store()?.sites(&query)?)
    }

    /// Changes the fields `edit` sets (`null` fields stay as they are). Moving the site to
    /// another cell needs an organisation admin; the other fields also a supervisor of a
    /// project the site is linked to (`Forbidden` otherwise). `InvalidArgument` for a blank
    /// name, a location that is not a GeoJSON Point or "lon,lat", or a record that is not a
    /// site; `NotFound` if the site or the new cell is not held here.
    pub fn update(&self, id: RecordId, edit: SiteEdit) -> Result<()> {
        Ok(self.owner.store()?.update_site(&id, &edit)?)
    }

    /// Links the site to the construction project `project` (its id): the project's members
    /// then receive the site. Linking it again does nothing. Organisation admins only
    /// (`Forbidden`); `InvalidArgument` if `project` is not a valid project id.
    pub fn link_project(&self, id: RecordId, project: String) -> Result<()> {
        Ok(self.owner.store()?.link_site_project(&id, &project)?)
    }

    /// Unlinks the site from the construction project `project`; nothing happens if it is not
    /// linked. Organisation admins only (`Forbidden`).
    pub fn unlink_project(&self, id: RecordId, project: String) -> Result<()> {
        Ok(self.owner.store()?.unlink_site_project(&id, &project)?)
    }

    /// Adds a checkpoint at the end of the route; returns its id.
    pub fn add_checkpoint(&self, site: RecordId, checkpoint: NewCheckpoint) -> Result<String> {
        Ok(self.owner.store()?.add_checkpoint(&site, &checkpoint)?)
    }

    /// Renames a checkpoint, changes its methods, or retires it (`null`: unchanged).
    pub fn update_checkpoint(
        &self,
        site: RecordId,
        checkpoint: String,
        name: Option<String>,
        methods: Option<Vec<CheckMethod>>,
        retired: Option<bool>,
    ) -> Result<()> {
        Ok(self.owner.store()?.update_checkpoint(
            &site,
            &checkpoint,
            name.as_deref(),
            methods.as_deref(),
            retired,
        )?)
    }

    /// Binds a tag (the raw NDEF URI or QR text) to a checkpoint.
    pub fn bind_tag(
        &self,
        site: RecordId,
        checkpoint: String,
        payload: String,
        method: CheckMethod,
    ) -> Result<TagEvent> {
        Ok(self
            .owner
            .store()?
            .bind_tag(&site, &checkpoint, &payload, method)?)
    }

    /// Unbinds a tag (the raw NDEF URI or QR text) from the checkpoint of `site` it stands for
    /// now (replaced, lost, stolen), with the reason; returns the unbind event. The tag can
    /// then be bound again. `InvalidState` if it is not bound at this site now,
    /// `InvalidArgument` for an empty payload; needs an organisation admin or a supervisor of a
    /// project the site is linked to (`Forbidden`).
    pub fn unbind_tag(&self, site: RecordId, payload: String, reason: String) -> Result<TagEvent> {
        Ok(self.owner.store()?.unbind_tag(&site, &payload, &reason)?)
    }

    /// What the tag stood for at `at_ms` (UTC ms), from its bind/unbind history.
    pub fn tag_binding(&self, payload: String, at_ms: i64) -> Result<Option<TagBinding>> {
        Ok(self.owner.store()?.tag_binding(&payload, at_ms)?)
    }

    /// Every bind and unbind of a tag (the raw NDEF URI or QR text) at the sites held here,
    /// each with its site, oldest first (by the recording devices' clocks). Empty if the tag
    /// was never bound; `InvalidArgument` for an empty payload.
    pub fn tag_history(&self, payload: String) -> Result<Vec<SiteTagEvent>> {
        Ok(self
            .owner
            .store()?
            .tag_history(&payload)?
            .into_iter()
            .map(|(site, event)| SiteTagEvent { site, event })
            .collect())
    }
}

/// The key a tag payload is known by (`uid:<UID>` for NFC URLs with a UID, else its text).
#[uniffi::export]
pub(crate) fn tag_key(payload: String) -> Result<String> {
    Ok(offgrid_core::site::tag_key(&payload)?)
}
