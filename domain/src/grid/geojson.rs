//! GeoJSON in and out (RFC 7946): cell boundaries are Polygons or MultiPolygons, site
//! locations are Points, in WGS 84 longitude/latitude. Accepted as a geometry, a Feature or
//! their text; stored as the geometry's compact text, written whole (two admins redrawing a
//! boundary offline keep one drawing and a reported conflict, never a mix of both).

use serde_json::{Value as Json, json};

use crate::error::{Error, Result};

/// A Polygon or MultiPolygon geometry, checked, as compact text.
pub fn polygon(text: &str) -> Result<String> {
    let mut g = geometry(text, "/boundary")?;
    let bad = |reason: String| Error::InvalidValue {
        path: "/boundary".into(),
        reason,
    };
    match g["type"].as_str() {
        Some("Polygon") => g["coordinates"] = rings(&g["coordinates"]).map_err(bad)?,
        Some("MultiPolygon") => {
            let polys = g["coordinates"]
                .as_array()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| bad("a MultiPolygon needs polygons".into()))?;
            let polys = polys
                .iter()
                .map(rings)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(bad)?;
            g["coordinates"] = Json::Array(polys);
        }
        other => {
            return Err(bad(format!(
                "a boundary is a Polygon or MultiPolygon, not {}",
                other.unwrap_or("an untyped value")
            )));
        }
    }
    Ok(g.to_string())
}

/// A Point geometry (or `lon,lat` text), checked, as compact text.
pub fn point(text: &str) -> Result<String> {
    let bad = |reason: String| Error::InvalidValue {
        path: "/location".into(),
        reason,
    };
    if let Some((lon, lat)) = text.split_once(',')
        && let (Ok(lon), Ok(lat)) = (lon.trim().parse::<f64>(), lat.trim().parse::<f64>())
    {
        let at = position(&json!([lon, lat])).map_err(bad)?;
        return Ok(json!({"type": "Point", "coordinates": at}).to_string());
    }
    let mut g = geometry(text, "/location")?;
    if g["type"] != "Point" {
        return Err(bad("a location is a GeoJSON Point or \"lon,lat\"".into()));
    }
    g["coordinates"] = position(&g["coordinates"]).map_err(bad)?;
    Ok(g.to_string())
}

/// The longitude and latitude of a stored Point.
pub fn point_lon_lat(text: &str) -> Option<(f64, f64)> {
    let g: Json = serde_json::from_str(text).ok()?;
    Some((g["coordinates"][0].as_f64()?, g["coordinates"][1].as_f64()?))
}

fn geometry(text: &str, path: &str) -> Result<Json> {
    let v: Json = serde_json::from_str(text.trim()).map_err(|e| Error::InvalidValue {
        path: path.into(),
        reason: format!("not GeoJSON: {e}"),
    })?;
    let g = if v["type"] == "Feature" {
        v["geometry"].clone()
    } else {
        v
    };
    // Only the geometry is kept: type and coordinates.
    Ok(json!({"type": g["type"], "coordinates": g["coordinates"]}))
}

/// The rings of a polygon, checked, with their positions as stored ([`position`]).
fn rings(coords: &Json) -> std::result::Result<Json, String> {
    let rings = coords
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or("a polygon needs at least one ring")?;
    let mut out = Vec::with_capacity(rings.len());
    for ring in rings {
        let points = ring.as_array().ok_or("a ring is a list of positions")?;
        if points.len() < 4 {
            return Err("a ring needs at least four positions (closed)".into());
        }
        let points = points
            .iter()
            .map(position)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if points.first() != points.last() {
            return Err("a ring must end where it starts".into());
        }
        out.push(Json::Array(points));
    }
    Ok(Json::Array(out))
}

/// A position, checked, as stored: `[longitude, latitude]` rounded to 1e-9 degree (0.1 mm),
/// so what is stored reads back as itself (found by the fuzzer: `5e-218` came back as
/// `4.999999999999999e-218`); an altitude is not kept.
fn position(p: &Json) -> std::result::Result<Json, String> {
    let (Some(lon), Some(lat)) = (p[0].as_f64(), p[1].as_f64()) else {
        return Err("a position is [longitude, latitude]".into());
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("position [{lon}, {lat}] is outside WGS 84 ranges"));
    }
    let round = |x: f64| (x * 1e9).round() / 1e9;
    Ok(json!([round(lon), round(lat)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_and_points_are_checked_and_kept_as_geometry() {
        let ring = "[[118.7,32.0],[118.8,32.0],[118.8,32.1],[118.7,32.0]]";
        let feature = format!(
            r#"{{"type":"Feature","properties":{{"x":1}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
        );
        let kept = polygon(&feature).unwrap();
        assert!(kept.starts_with(r#"{"coordinates":"#) && !kept.contains("properties"));
        assert!(
            polygon(
                r#"{"type":"Polygon","coordinates":[[[118.7,32.0],[118.8,32.0],[118.7,32.0]]]}"#
            )
            .is_err()
        );
        assert!(polygon(r#"{"type":"Polygon","coordinates":[[[118.7,32.0],[118.8,32.0],[118.8,32.1],[118.9,32.0]]]}"#).is_err());
        assert!(polygon(r#"{"type":"Point","coordinates":[1,2]}"#).is_err());
        assert!(polygon("not json").is_err());
        assert_eq!(
            point_lon_lat(&point("118.78, 32.04").unwrap()),
            Some((118.78, 32.04))
        );
        assert!(point("200,1").is_err());
        assert!(point(r#"{"type":"Point","coordinates":[118.78,32.04]}"#).is_ok());
    }

    #[test]
    fn what_is_stored_reads_back_as_itself() {
        for text in ["5e-218,7", "118.123456789123,32.5", "-0.0,0"] {
            let stored = point(text).unwrap();
            assert_eq!(point(&stored).unwrap(), stored, "{text}");
        }
        let ring = r#"{"type":"Polygon","coordinates":[[[1e-300,0],[1,0],[1,1],[1e-300,0]]]}"#;
        let stored = polygon(ring).unwrap();
        assert_eq!(polygon(&stored).unwrap(), stored);
        assert_eq!(
            point_lon_lat(&point("118.78, 32.04").unwrap()),
            Some((118.78, 32.04))
        );
    }
}
