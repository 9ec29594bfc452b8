//! The organisation's grid (城市网格): the organisation scope [`ORG`], boundaries and
//! locations as GeoJSON ([`geojson`]) and the write policy of grid cells ([`rules`]).

pub mod geojson;
pub mod rules;

/// The scope of the organisation's reference data (grid cells, sites): a reserved project id.
/// Its admins (role `admin` on `org`) write them; who reads what is derived per record.
pub const ORG: &str = "org";

/// A map key as one JSON-pointer segment.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
