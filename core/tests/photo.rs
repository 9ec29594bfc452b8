//! The photo pipeline on real encoded images (made by `photo::sample`): every EXIF orientation
//! checked by pixels, the hash and EXIF fields, PNG, CMYK and progressive JPEGs, and bad input
//! (empty, random, truncated, HEIC, garbage EXIF, enormous dimensions): a typed error or a
//! correct image, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use offgrid_core::photo::PhotoError as Error;
use offgrid_core::photo::{PhotoLimits, Processed, process, sha256_hex};
use offgrid_testkit::photos::{self, QUADRANTS, Sample};

fn decode_rgb(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    use zune_core::bytestream::ZCursor;
    let mut d = zune_jpeg::JpegDecoder::new(ZCursor::new(jpeg));
    let px = d.decode().expect("derived images decode");
    let (w, h) = d.dimensions().unwrap();
    (w, h, px)
}

/// The colour at the centre of each quadrant of an encoded image.
fn quadrant_colours(jpeg: &[u8]) -> [[u8; 3]; 4] {
    let (w, h, px) = decode_rgb(jpeg);
    let at = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        [px[i], px[i + 1], px[i + 2]]
    };
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 40)
}

fn run(bytes: &[u8]) -> Processed {
    process(bytes, &PhotoLimits::default()).expect("the pipeline accepts this image")
}

#[test]
fn every_orientation_comes_out_upright() {
    for orientation in 1..=8u8 {
        let bytes = photos::jpeg(&Sample {
            width: 640,
            height: 480,
            orientation,
            ..Default::default()
        });
        let p = run(&bytes);
        assert_eq!(p.info.exif.as_ref().unwrap().orientation, orientation);
        assert_eq!(
            (p.info.upload_width, p.info.upload_height),
            (640, 480),
            "orientation {orientation}"
        );
        let stored = if orientation >= 5 {
            (480, 640)
        } else {
            (640, 480)
        };
        assert_eq!((p.info.width, p.info.height), stored);
        for (name, jpeg) in [("upload", &p.upload), ("thumb", &p.thumb)] {
            let got = quadrant_colours(jpeg);
            for q in 0..4 {
                assert!(
                    close(got[q], QUADRANTS[q]),
                    "orientation {orientation}, {name}, quadrant {q}: {:?} vs {:?}",
                    got[q],
                    QUADRANTS[q]
                );
            }
        }
        assert_eq!((p.info.thumb_width, p.info.thumb_height), (256, 192));
    }
}

#[test]
fn large_photos_are_resized_to_2048_and_256() {
    let bytes = photos::jpeg(&Sample {
        width: 4000,
        height: 3000,
        orientation: 6,
        ..Default::default()
    });
    let p = run(&bytes);
    assert_eq!((p.info.width, p.info.height), (3000, 4000));
    assert_eq!((p.info.upload_width, p.info.upload_height), (2048, 1536));
    assert_eq!((p.info.thumb_width, p.info.thumb_height), (256, 192));
    let (w, h, _) = decode_rgb(&p.upload);
    assert_eq!((w, h), (2048, 1536));
    assert!(p.upload.len() < bytes.len());
}

#[test]
fn hash_and_exif_fields() {
    let bytes = photos::jpeg(&Sample::default());
    let p = run(&bytes);
    assert_eq!(p.info.sha256, sha256_hex(&bytes));
    assert_eq!(p.info.sha256.len(), 64);
    assert_eq!(p.info.bytes, bytes.len() as u64);
    assert_eq!(p.info.format, "jpeg");
    let exif = p.info.exif.unwrap();
    assert_eq!(exif.taken_local.as_deref(), Some("2026-11-28T09:30:00"));
    assert_eq!(exif.taken_offset_minutes, Some(480));
    // 2026-11-28 09:30 +08:00 = 01:30 UTC.
    assert_eq!(exif.taken_unix_ms, Some(1_795_829_400_000));
    let gps = exif.gps.unwrap();
    assert!((gps.lat - 30.25).abs() < 1e-9 && (gps.lon - 120.15).abs() < 1e-9);
    assert_eq!(gps.altitude_m, Some(12.5));
    assert_eq!(exif.make.as_deref(), Some("Offgrid"));
    assert_eq!(exif.model.as_deref(), Some("Sample"));
}

#[test]
fn without_exif_the_photo_is_taken_as_upright() {
    let bytes = photos::jpeg(&Sample {
        exif: false,
        ..Default::default()
    });
    let p = run(&bytes);
    assert!(p.info.exif.is_none());
    assert!(close(quadrant_colours(&p.upload)[0], QUADRANTS[0]));
}

#[test]
fn png_progressive_and_cmyk() {
    let png = photos::png(300, 200);
    let p = run(&png);
    assert_eq!(p.info.format, "png");
    assert_eq!((p.info.upload_width, p.info.upload_height), (300, 200));
    let q = quadrant_colours(&p.upload);
    assert!(
        close(q[0], [255, 255, 255]),
        "transparent is white: {:?}",
        q[0]
    );
    assert!(close(q[1], QUADRANTS[1]));

    let progressive = photos::jpeg(&Sample {
        progressive: true,
        orientation: 3,
        ..Default::default()
    });
    let p = run(&progressive);
    let q = quadrant_colours(&p.upload);
    assert!((0..4).all(|i| close(q[i], QUADRANTS[i])), "{q:?}");

    let cmyk = photos::jpeg(&Sample {
        cmyk: true,
        ..Default::default()
    });
    let p = run(&cmyk);
    assert_eq!((p.info.upload_width, p.info.upload_height), (640, 480));
}

#[test]
fn bad_input_gets_a_typed_error() {
    let limits = PhotoLimits::default();
    let unsupported = |bytes: &[u8]| match process(bytes, &limits) {
        Err(Error::UnsupportedImage { format }) => format,
        other => panic!("expected UnsupportedImage, got {other:?}"),
    };
    assert_eq!(unsupported(b""), "empty");
    let random: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(unsupported(&random), "unknown");
    assert_eq!(unsupported(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "HEIC");

    // A JPEG signature followed by garbage.
    let mut garbage = vec![0xFF, 0xD8, 0xFF, 0xE0];
    garbage.extend(&random);
    assert!(matches!(
        process(&garbage, &limits),
        Err(Error::ImageDecode { .. })
    ));

    // Truncated anywhere (in the headers, in the EXIF, in the scan data, before the end
    // marker): a typed error, never a grey-filled image passed off as the photo.
    for progressive in [false, true] {
        let whole = photos::jpeg(&Sample {
            progressive,
            ..Default::default()
        });
        for cut in (1..20)
            .map(|i| whole.len() * i / 20)
            .chain([whole.len() - 2])
        {
            match process(&whole[..cut], &limits) {
                Err(Error::ImageDecode { .. }) => {}
                other => panic!("truncated at {cut} of {}: {other:?}", whole.len()),
            }
        }
        assert!(process(&whole, &limits).is_ok());
    }
}

#[test]
fn garbage_exif_is_ignored() {
    let mut bytes = photos::jpeg(&Sample {
        exif: false,
        ..Default::default()
    });
    // An APP1 "Exif" segment full of noise, right after SOI.
    let mut app1 = vec![0xFF, 0xE1, 0x00, 0x48];
    app1.extend(b"Exif\0\0MM\0\x2A\0\0\0\x08\x00\x05");
    app1.resize(4 + 0x46, 0xA5);
    bytes.splice(2..2, app1);
    let p = run(&bytes);
    let orientation = p.info.exif.as_ref().map_or(1, |e| e.orientation);
    assert_eq!(orientation, 1);
    assert!(close(quadrant_colours(&p.upload)[0], QUADRANTS[0]));
}

#[test]
fn enormous_dimensions_are_refused_before_decoding() {
    let mut bytes = photos::jpeg(&Sample::default());
    // Patch the SOF0 frame header: FF C0 len(2) precision(1) height(2) width(2).
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    match process(&bytes, &PhotoLimits::default()) {
        Err(Error::ImageTooLarge { width, height, .. }) => {
            assert_eq!((width, height), (60_000, 60_000))
        }
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
}

#[test]
fn large_jpegs_decode_at_a_reduced_scale_and_large_pngs_are_refused() {
    // Small limits stand in for 16 MP / 2048 so the test stays fast: a 3 MP JPEG above a 1 MP
    // full-decode limit is decoded at 1/2 (1000×750 covers a 512 upload) and still comes out
    // upright with the right size.
    let limits = PhotoLimits {
        full_decode_pixels: 1_000_000,
        upload_long_edge: 512,
        thumb_long_edge: 64,
        ..PhotoLimits::default()
    };
    for (orientation, progressive) in [(6, false), (3, true), (1, false)] {
        let bytes = photos::jpeg(&Sample {
            width: 2000,
            height: 1500,
            orientation,
            progressive,
            ..Default::default()
        });
        let p = process(&bytes, &limits).unwrap();
        assert_eq!((p.info.upload_width, p.info.upload_height), (512, 384));
        assert_eq!((p.info.thumb_width, p.info.thumb_height), (64, 48));
        let q = quadrant_colours(&p.upload);
        assert!(
            (0..4).all(|i| close(q[i], QUADRANTS[i])),
            "orientation {orientation}: {q:?}"
        );
        // Truncation is refused on this path too.
        assert!(matches!(
            process(&bytes[..bytes.len() / 2], &limits),
            Err(Error::ImageDecode { .. })
        ));
    }
    let png = photos::png(1200, 1000);
    match process(&png, &limits) {
        Err(Error::ImageTooLarge { max_pixels, .. }) => assert_eq!(max_pixels, 1_000_000),
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
}
