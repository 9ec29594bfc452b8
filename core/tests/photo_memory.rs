//! Issue 28: the photo pipeline's memory is bounded for any input. A counting global allocator
//! records the peak of bytes allocated at once while `process` (or `add_photo`) runs; every case
//! either is refused with the typed error before decoding, or finishes within
//! `PhotoLimits::max_decode_bytes` (150 MB) and within the pipeline's own estimate
//! (`peak_estimate`), which is what the refusal is decided on.
//!
//! The tests run one at a time (a lock), since the allocator counts the whole process.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// a test fails by panicking
// A counting global allocator measures peak memory: `GlobalAlloc` is unsafe to implement.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use offgrid_core::Error;
use offgrid_core::photo::{PhotoLimits, PhotoTarget, Processed, peak_estimate, process};
use offgrid_testkit::photos::{self, Sample};

struct Counting;

static CURRENT: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes as u64, Ordering::SeqCst) + bytes as u64;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes as u64, Ordering::SeqCst);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as a move: both buffers alive until the old one is freed.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// `f`'s result and the most bytes it had allocated at once (beyond what was allocated before).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(before))
}

const BUDGET: u64 = 150_000_000;

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Processes `bytes` with the default limits: the result and the peak, checked against the
/// budget and against the estimate made from the headers.
fn measured(name: &str, bytes: &[u8]) -> (Result<Processed, Error>, u64) {
    measured_with(name, bytes, &PhotoLimits::default())
}

fn measured_with(
    name: &str,
    bytes: &[u8],
    limits: &PhotoLimits,
) -> (Result<Processed, Error>, u64) {
    let estimate = peak_estimate(bytes, limits);
    let (result, peak) = peak_of(|| process(bytes, limits).map_err(Error::from));
    eprintln!(
        "{name}: {} bytes in, peak {:.1} MB, estimate {}, {}",
        bytes.len(),
        mb(peak),
        estimate.as_ref().map_or_else(
            |e| format!("refused ({e})"),
            |e| format!("{:.1} MB", mb(*e))
        ),
        match &result {
            Ok(p) => format!("upload {}×{}", p.info.upload_width, p.info.upload_height),
            Err(e) => format!("error: {e}"),
        }
    );
    assert!(
        peak < limits.max_decode_bytes,
        "{name}: peak {:.1} MB is over the budget",
        mb(peak)
    );
    if let (Ok(_), Ok(estimate)) = (&result, &estimate) {
        assert!(
            peak <= *estimate,
            "{name}: peak {:.1} MB above the estimate {:.1} MB",
            mb(peak),
            mb(*estimate)
        );
    }
    (result, peak)
}

/// The refusal for memory: the typed pixel-limit error, naming the reason.
fn refused_for_memory(result: Result<Processed, Error>, size: (u32, u32), kind: &str) -> String {
    match result {
        Err(e @ Error::ImageTooLarge { .. }) => {
            let message = e.to_string();
            let Error::ImageTooLarge {
                width,
                height,
                max_pixels,
                detail,
            } = e
            else {
                unreachable!()
            };
            assert_eq!((width, height), size);
            assert!(
                u64::from(width) * u64::from(height) > max_pixels,
                "{message}"
            );
            assert!(detail.contains(kind), "{message}");
            assert!(detail.contains("150 MB memory budget"), "{message}");
            message
        }
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
}

const S444: [(u8, u8); 3] = [(1, 1), (1, 1), (1, 1)];
const S420: [(u8, u8); 3] = [(2, 2), (1, 1), (1, 1)];

#[test]
fn a_tiny_progressive_jpeg_claiming_14000_square_is_refused_before_decoding() {
    let _one = serial();
    let bytes = photos::claiming_jpeg(14_000, 14_000, true, &S444, 16);
    assert!(bytes.len() < 256, "{} bytes", bytes.len());
    let (result, peak) = measured("progressive 14000² 4:4:4", &bytes);
    let message = refused_for_memory(result, (14_000, 14_000), "progressive JPEG (4:4:4)");
    assert!(message.contains(" GB, more than"), "{message}");
    // Nothing was decoded: headers only.
    assert!(peak < 1_000_000, "peak {peak}");
}

#[test]
fn a_tiny_progressive_420_jpeg_claiming_14000_square_is_refused() {
    let _one = serial();
    let bytes = photos::claiming_jpeg(14_000, 14_000, true, &S420, 16);
    let (result, peak) = measured("progressive 14000² 4:2:0", &bytes);
    refused_for_memory(result, (14_000, 14_000), "progressive JPEG (4:2:0)");
    assert!(peak < 1_000_000, "peak {peak}");
}

#[test]
fn adding_the_hostile_progressive_jpeg_to_a_store_is_refused_and_leaves_nothing() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::open_as(&dir.path().join("t.db"), "zhang");
    let id = store
        .create(
            offgrid_core::RecordKind::Patrol,
            &serde_json::json!({"title": "night round"}),
        )
        .unwrap();
    let target = PhotoTarget::Patrol { id: id.clone() };
    let bytes = photos::claiming_jpeg(14_000, 14_000, true, &S444, 16);
    let (result, peak) = peak_of(|| store.add_photo(&target, &bytes, &Default::default()));
    eprintln!("add_photo, progressive 14000²: peak {:.1} MB", mb(peak));
    assert!(peak < BUDGET, "peak {:.1} MB", mb(peak));
    match result {
        Err(Error::ImageTooLarge { detail, .. }) => assert!(detail.contains("progressive")),
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
    assert!(store.photos(&id).unwrap().is_empty());
}

#[test]
fn a_tiny_baseline_420_jpeg_claiming_14000_square_decodes_scaled_within_the_budget() {
    // Baseline decoding keeps no coefficients for the whole image: at 1/4 scale this is 3500²
    // planes and output, and the rows in flight to the decoder's worker threads. The scan is
    // 16 zero bytes: the decoder reads zeros past it, as fast as entropy decoding goes, the
    // worst case for those rows.
    let _one = serial();
    let bytes = photos::claiming_jpeg(14_000, 14_000, false, &S420, 16);
    let (result, _) = measured("baseline 14000² 4:2:0", &bytes);
    let p = result.expect("a baseline 4:2:0 JPEG decodes at a reduced scale");
    assert_eq!((p.info.upload_width, p.info.upload_height), (2048, 2048));
}

#[test]
fn a_tiny_baseline_444_jpeg_claiming_14000_square_is_refused() {
    // 1.2 GB of coefficients pass through the decoder's channels: the allowance for rows in
    // flight (an eighth) does not fit beside the planes and the output.
    let _one = serial();
    let bytes = photos::claiming_jpeg(14_000, 14_000, false, &S444, 16);
    let (result, peak) = measured("baseline 14000² 4:4:4", &bytes);
    refused_for_memory(result, (14_000, 14_000), "baseline JPEG (4:4:4)");
    assert!(peak < 1_000_000, "peak {peak}");
}

#[test]
fn a_50_megapixel_baseline_photo_is_accepted_within_the_budget() {
    let _one = serial();
    let bytes = photos::jpeg(&Sample {
        width: 8160,
        height: 6120,
        orientation: 6,
        ..Default::default()
    });
    let (result, _) = measured("baseline 50 MP 4:2:0", &bytes);
    let p = result.expect("a 50 MP phone photo is accepted");
    assert_eq!((p.info.width, p.info.height), (6120, 8160));
    assert_eq!((p.info.upload_width, p.info.upload_height), (2048, 1536));
}

#[test]
fn a_12_megapixel_progressive_photo_is_accepted_within_the_budget() {
    let _one = serial();
    let bytes = photos::jpeg(&Sample {
        width: 4000,
        height: 3000,
        progressive: true,
        ..Default::default()
    });
    let (result, _) = measured("progressive 12 MP 4:2:0", &bytes);
    let p = result.expect("a 12 MP progressive photo is accepted");
    assert_eq!((p.info.upload_width, p.info.upload_height), (2048, 1536));
}

#[test]
fn a_progressive_jpeg_over_the_full_decode_size_is_refused_when_its_coefficients_do_not_fit() {
    // 8000×6000 progressive 4:2:0: 144 MB of coefficients at any scale, and the RGB image.
    let _one = serial();
    let bytes = photos::claiming_jpeg(8000, 6000, true, &S420, 16);
    let (result, _) = measured("progressive 48 MP 4:2:0", &bytes);
    refused_for_memory(result, (8000, 6000), "progressive JPEG (4:2:0)");
}

#[test]
fn a_16_bit_interlaced_png_that_does_not_fit_is_refused() {
    // 3000² RGBA, 16 bits, Adam7: 72 MB of output, as much again of inflated data (grown to
    // twice that at its end) and a second image for the de-interlacing.
    let _one = serial();
    let bytes = photos::zero_png(3000, 3000, 16, 6, true);
    assert!(bytes.len() < 1_000_000, "{} bytes", bytes.len());
    let (result, _) = measured("png 3000² RGBA16 interlaced", &bytes);
    refused_for_memory(result, (3000, 3000), "16-bit interlaced PNG (RGBA)");
}

#[test]
fn a_16_bit_interlaced_png_that_fits_is_decoded_within_its_estimate() {
    let _one = serial();
    let bytes = photos::zero_png(1500, 1000, 16, 6, true);
    let (result, _) = measured("png 1500×1000 RGBA16 interlaced", &bytes);
    let p = result.expect("a small 16-bit PNG decodes");
    assert_eq!((p.info.upload_width, p.info.upload_height), (1500, 1000));
}

#[test]
fn a_png_whose_text_inflates_to_400_mb_is_decoded_without_inflating_it() {
    // A zTXt chunk of 2.5 MB that inflates to 400 MB: zune-png inflates such chunks while
    // reading its headers (up to 1 GiB each). The image itself is small and decodes.
    let _one = serial();
    let bytes = photos::with_compressed_text(&photos::png(300, 200), 400_000_000);
    assert!(bytes.len() < 3_000_000, "{} bytes", bytes.len());
    let (result, _) = measured("png 300×200 with a 400 MB zTXt", &bytes);
    let p = result.expect("the image decodes");
    assert_eq!((p.info.upload_width, p.info.upload_height), (300, 200));
}

#[test]
fn a_screenshot_sized_png_is_decoded_within_its_estimate() {
    let _one = serial();
    let bytes = photos::png(1080, 2400);
    let (result, _) = measured("png 1080×2400 RGBA8", &bytes);
    result.expect("a screenshot decodes");
}

#[test]
fn every_decoding_path_stays_within_its_estimate() {
    // The estimate is what refusals are decided on: it must not be below what the decoders
    // really take. With no budget, every path runs; each peak is checked against its estimate.
    let _one = serial();
    let unlimited = PhotoLimits {
        max_decode_bytes: u64::MAX,
        ..PhotoLimits::default()
    };
    let scaled_from_1mp = PhotoLimits {
        full_decode_pixels: 1_000_000,
        ..unlimited.clone()
    };
    let cases: Vec<(&str, Vec<u8>, &PhotoLimits)> = vec![
        (
            "zune baseline 12 MP 4:2:0",
            photos::jpeg(&Sample {
                width: 4000,
                height: 3000,
                ..Default::default()
            }),
            &unlimited,
        ),
        (
            "zune progressive 3000×2000 4:2:0",
            photos::jpeg(&Sample {
                width: 3000,
                height: 2000,
                progressive: true,
                ..Default::default()
            }),
            &unlimited,
        ),
        (
            "zune progressive 3000² 4:4:4 (claimed)",
            photos::claiming_jpeg(3000, 3000, true, &S444, 16),
            &unlimited,
        ),
        (
            "zune baseline 4000² 4:4:4 (claimed)",
            photos::claiming_jpeg(4000, 4000, false, &S444, 16),
            &unlimited,
        ),
        (
            "zune progressive 3000×2000 4:2:0 over full_decode_pixels",
            photos::jpeg(&Sample {
                width: 3000,
                height: 2000,
                progressive: true,
                ..Default::default()
            }),
            &scaled_from_1mp,
        ),
        (
            "jpeg-decoder baseline 6000×4000 4:2:0",
            photos::jpeg(&Sample {
                width: 6000,
                height: 4000,
                ..Default::default()
            }),
            &scaled_from_1mp,
        ),
        (
            "jpeg-decoder baseline 8000×6000 4:2:0 (claimed)",
            photos::claiming_jpeg(8000, 6000, false, &S420, 16),
            &scaled_from_1mp,
        ),
        (
            "jpeg-decoder greyscale 6000² (claimed)",
            photos::claiming_jpeg(6000, 6000, false, &[(1, 1)], 16),
            &scaled_from_1mp,
        ),
        (
            "png 2000² RGB8",
            photos::zero_png(2000, 2000, 8, 2, false),
            &unlimited,
        ),
        (
            "png 2000² grey8 interlaced",
            photos::zero_png(2000, 2000, 8, 0, true),
            &unlimited,
        ),
        (
            "png 2000² RGBA16 interlaced",
            photos::zero_png(2000, 2000, 16, 6, true),
            &unlimited,
        ),
        (
            "png 2000² palette 1-bit",
            photos::zero_png(2000, 2000, 1, 3, false),
            &unlimited,
        ),
    ];
    for (name, bytes, limits) in cases {
        let estimate = peak_estimate(&bytes, limits).unwrap();
        let (result, peak) = peak_of(|| process(&bytes, limits));
        eprintln!(
            "{name}: peak {:.1} MB, estimate {:.1} MB ({:.2}×)",
            mb(peak),
            mb(estimate),
            estimate as f64 / peak.max(1) as f64
        );
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            peak <= estimate,
            "{name}: peak {:.1} MB above the estimate {:.1} MB",
            mb(peak),
            mb(estimate)
        );
    }
}
