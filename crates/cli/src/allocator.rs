//! How the global allocator (mimalloc, main.rs) gives memory back.

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` in mimalloc.h (the 16th option in v2 and v3; the Rust binding has
/// no name for it).
const PURGE_DELAY: mi_option_t = 15;

/// Freed pages go back to the OS at once instead of a second later. Page reads allocate their
/// rows on blocking threads and free them on the async workers; with the delay the SQLite
/// server's peak RSS under load was 178 MiB for the calendar month, without it 100 MiB, at the
/// same throughput (bench/README.md).
/// `MIMALLOC_PURGE_DELAY` in the environment still wins.
pub fn return_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: setting an option is a store to mimalloc's option table, valid at any time.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    /// The purge delay now in force, in milliseconds.
    fn purge_delay_ms() -> std::ffi::c_long {
        // SAFETY: reading an option is a load from mimalloc's option table.
        unsafe { mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn option_16_is_the_purge_delay() {
        // mimalloc v3's default purge delay is 1000 ms (its options.c); an index that named
        // another option would read another default.
        assert!(std::env::var_os("MIMALLOC_PURGE_DELAY").is_none(), "run without MIMALLOC_PURGE_DELAY");
        assert_eq!(purge_delay_ms(), 1000);
        return_freed_memory_at_once();
        assert_eq!(purge_delay_ms(), 0);
    }
}
