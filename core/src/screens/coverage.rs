//! Coverage of my cells: the office's coverage ([`crate::patrol::coverage`]) for each grid cell
//! the signed-in user is a member of, with the cells under it, for a period. From projections.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::patrol::{CellCoverage, CoverageQuery};
use crate::store::Store;

impl Store {
    /// Coverage of `[from_ms, to_ms)` for the user's cells and everything under them, each cell
    /// once (a cell under another of the user's cells is shown in that one's subtree).
    pub fn my_coverage_screen(&self, from_ms: i64, to_ms: i64) -> Result<Vec<CellCoverage>> {
        let user = self.user().ok_or(Error::NoCurrentUser)?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for cell in self.grid_cells_of(&user.id)? {
            if seen.contains(&cell.id) {
                continue;
            }
            let rows = self.patrol_coverage(&CoverageQuery {
                from_ms,
                to_ms,
                cell: Some(cell.id.clone()),
                ..Default::default()
            })?;
            for row in rows {
                if seen.insert(row.cell.clone()) {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }
}
