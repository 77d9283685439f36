//! Software prefetch for record walks.
//!
//! A walk over a capture hops from record header to record header, each
//! hop a load that depends on the previous one and would otherwise wait for
//! memory; prefetching every cache line a few KiB ahead turns the walk from
//! latency-bound into bandwidth-bound. Used by the index pass and by the
//! streaming reader of the flow engine.

/// Prefetches the bytes ahead of a forward walk.
#[derive(Debug, Default, Clone)]
pub struct Prefetcher {
    next: usize,
}

impl Prefetcher {
    /// Bytes kept in flight ahead of the walk.
    pub const DISTANCE: usize = 8192;

    /// A prefetcher whose walk starts at `pos`.
    pub fn at(pos: usize) -> Self {
        Prefetcher { next: pos }
    }

    /// Called at each step of the walk, at position `pos` of `data`.
    #[inline]
    pub fn run(&mut self, data: &[u8], pos: usize) {
        let end = (pos + Self::DISTANCE).min(data.len());
        if self.next < pos {
            self.next = pos;
        }
        while self.next < end {
            prefetch(data, self.next);
            self.next += 64;
        }
    }
}

/// Prefetches every cache line of `v` (a hint: it never faults).
#[inline]
pub fn prefetch_value<T>(v: &T) {
    let bytes = std::mem::size_of::<T>();
    let p = (v as *const T).cast::<u8>();
    let mut at = 0;
    while at < bytes {
        prefetch_ptr(p.wrapping_add(at));
        at += 64;
    }
}

#[inline]
fn prefetch(data: &[u8], at: usize) {
    prefetch_ptr(data.as_ptr().wrapping_add(at));
}

#[inline]
fn prefetch_ptr(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: a prefetch is a hint; it never faults or reads into the
        // program, whatever the address.
        unsafe { std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = p;
    }
}
