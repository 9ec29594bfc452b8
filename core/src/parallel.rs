//! Work split over a few threads: `items` cut into one contiguous chunk per thread (at most
//! four, no more than the cores), each chunk mapped by `f` on its own scoped thread, the
//! results joined back in the order of `items`. For bulk work that has no better place to
//! run (documents' photos, the register's hazards).

use crate::error::{Error, Result};

/// `f` maps one chunk to its results, in order; the first error (or a panicked thread) is
/// the result.
#[cfg_attr(not(feature = "documents"), allow(dead_code))]
pub(crate) fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> Result<Vec<R>> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let per = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(per)
            .map(|chunk| s.spawn(move || f(chunk)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().map_err(|_| Error::Document {
                reason: "a worker thread stopped unexpectedly".into(),
            })??);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_and_errors_come_through() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = map_chunks(&items, |c| Ok(c.iter().map(|i| i * 2).collect())).unwrap();
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(
            map_chunks::<u32, u32>(&[], |_| Ok(vec![]))
                .unwrap()
                .is_empty()
        );
        let e = map_chunks(&items, |c| {
            if c.contains(&999) {
                Err(Error::InvalidArgument("no".into()))
            } else {
                Ok(c.to_vec())
            }
        });
        assert!(matches!(e, Err(Error::InvalidArgument(_))));
    }
}
