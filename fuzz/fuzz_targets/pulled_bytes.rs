#![no_main]

use libfuzzer_sys::fuzz_target;
use offgrid_fuzz_targets::panics::{OnOwnPanic, watch};

fuzz_target!(init: watch(OnOwnPanic::Abort), |data: &[u8]| {
    offgrid_fuzz_targets::pulled_bytes(data)
});
