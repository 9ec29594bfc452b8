//! The EXIF fields that matter as evidence: when the camera says the photo was taken (with its
//! UTC offset when the camera wrote one), where (GPS), which way up (orientation), and which
//! device (make, model). Missing or garbage fields are simply absent: a photo with broken EXIF
//! is still evidence.

use std::io::Cursor;

use exif::{In, Reader, Tag, Value};

use crate::{ExifData, GpsFix};

/// Reads EXIF from a JPEG or PNG container; `None` when there is none or it does not parse.
pub fn read(bytes: &[u8]) -> Option<ExifData> {
    let exif = Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
        .ok()?;
    let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let text = |tag| match field(tag) {
        Some(Value::Ascii(v)) => v
            .first()
            .map(|s| String::from_utf8_lossy(s).trim().to_owned())
            .filter(|s| !s.is_empty() && s.chars().all(|c| !c.is_control())),
        _ => None,
    };
    let orientation = field(Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1) as u8;

    let mut data = ExifData {
        orientation,
        make: text(Tag::Make),
        model: text(Tag::Model),
        ..Default::default()
    };
    if let Some(Value::Ascii(v)) = field(Tag::DateTimeOriginal)
        && let Some(raw) = v.first()
        && let Ok(mut dt) = exif::DateTime::from_ascii(raw)
        && valid_date(&dt)
    {
        data.taken_local = Some(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
        ));
        if let Some(Value::Ascii(o)) = field(Tag::OffsetTimeOriginal)
            && let Some(raw) = o.first()
            && dt.parse_offset(raw).is_ok()
        {
            data.taken_offset_minutes = dt.offset.map(i32::from);
        }
        if let Some(offset) = data.taken_offset_minutes {
            let local_ms = offgrid_common::civil::days_from_civil(
                dt.year.into(),
                dt.month.into(),
                dt.day.into(),
            ) * 86_400_000
                + (i64::from(dt.hour) * 3600 + i64::from(dt.minute) * 60 + i64::from(dt.second))
                    * 1000;
            data.taken_unix_ms = Some(local_ms - i64::from(offset) * 60_000);
        }
    }
    data.gps = gps(&exif);
    Some(data)
}

fn valid_date(dt: &exif::DateTime) -> bool {
    (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
        && dt.second < 61
        && dt.year >= 1900
}

fn gps(exif: &exif::Exif) -> Option<GpsFix> {
    let coord = |tag, reference, negative: &[u8]| -> Option<f64> {
        let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
            return None;
        };
        if parts.len() < 3 || parts.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = match &exif.get_field(reference, In::PRIMARY)?.value {
            Value::Ascii(v) if v.first().is_some_and(|s| s.as_slice() == negative) => -1.0,
            _ => 1.0,
        };
        Some(sign * deg)
    };
    let lat = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b"S")?;
    let lon = coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b"W")?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let altitude_m = match exif
        .get_field(Tag::GPSAltitude, In::PRIMARY)
        .map(|f| &f.value)
    {
        Some(Value::Rational(v)) if v.first().is_some_and(|r| r.denom != 0) => {
            let below = matches!(
                exif.get_field(Tag::GPSAltitudeRef, In::PRIMARY)
                    .and_then(|f| f.value.get_uint(0)),
                Some(1)
            );
            Some(v[0].to_f64() * if below { -1.0 } else { 1.0 })
        }
        _ => None,
    };
    Some(GpsFix {
        lat,
        lon,
        altitude_m,
        accuracy_m: None,
    })
}
