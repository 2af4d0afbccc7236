//! jemalloc as the global allocator of every program built with the `jemalloc` feature: the
//! CLI and the Python extension (not on MSVC or wasm, where it does not build).
//!
//! Converting 4 GiB peaks at about the memory of 1 GiB with jemalloc, where glibc's malloc
//! grows ~20% from fragmentation: each row group creates and drops ~700 column writers on the
//! encoding threads while the decoders allocate batches, and Python's `read_ndjson()` frees on
//! its own thread the batches that the decoding threads made.
//!
//! jemalloc's `realloc` is replaced for large blocks ([`Allocator`]): it copied whole size
//! classes, pages that nothing wrote included, which cost page faults and TLB shootdowns when
//! threads encode Parquet.
//!
//! This module only declares the allocator; a library that embeds netskope-arrow leaves the
//! feature off and keeps its program's allocator.

use std::alloc::{GlobalAlloc, Layout};

use tikv_jemallocator::Jemalloc;

/// The allocator.
#[global_allocator]
static GLOBAL: Allocator = Allocator;

/// Blocks at least this large are grown by [`Allocator::realloc`] itself: jemalloc's smallest
/// "large" size class with 4 KiB pages. Smaller blocks share slabs, and their size classes are
/// at most 2 KiB apart (8 KiB, 10 KiB, 12 KiB, 14 KiB below it): with every size on this path,
/// the zero-page reads were no fewer (BENCHMARKS.md).
const OWN_GROWTH_BYTES: usize = 16 << 10;

/// jemalloc, except that a large block that has to move when it grows is copied for the bytes
/// the program asked for, not for jemalloc's size class.
///
/// jemalloc's own `rallocx` copies the whole size class (up to a quarter more than asked), and
/// so reads pages at its end that nothing ever wrote: each read maps the kernel's zero page.
/// When jemalloc later hands those pages out again, the first write to each is a copy-on-write
/// fault and, with threads on other cores, a TLB shootdown (an interrupt to each of them).
/// Parquet's writers grow vectors this way all the time. Converting 256 MiB of the mixed corpus
/// on two threads, this halves the zero-page reads (4,575 to 1,671) and the copy-on-write
/// faults (2,793 to 1,358); the rest read the spare capacity of a `Vec` (parquet's zstd codec
/// reserves a page's compression bound), which no allocator can tell from data. See
/// BENCHMARKS.md, seventeenth session.
struct Allocator;

// SAFETY: every call goes to jemalloc's own functions, with the layouts the caller gave;
// `realloc` keeps `GlobalAlloc::realloc`'s contract (the old block is freed only once its
// bytes are in the new one, and is left untouched when allocating fails).
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { Jemalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { Jemalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size <= layout.size() || layout.size() < OWN_GROWTH_BYTES {
            return unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        }
        unsafe { grow(ptr, layout, new_size) }
    }
}

/// [`Allocator::realloc`] of a large block to a larger size: in place when jemalloc can,
/// otherwise into a new block, copying `layout.size()` bytes.
///
/// # Safety
/// As for `GlobalAlloc::realloc`: `ptr` is a live block of this allocator allocated with
/// `layout`, and `new_size` (larger than `layout.size()`) rounded up to `layout.align()` does
/// not overflow `isize`.
// Not inlined into `realloc`, whose small-block path is the common one; not `#[cold]`
// either: Parquet's writers grow large vectors on every page.
#[inline(never)]
unsafe fn grow(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: `ptr` is a live block of jemalloc's; `xallocx` resizes it in place (so it keeps
    // its address, and its alignment) or not at all, and returns the block's size after.
    if unsafe { tikv_jemalloc_sys::xallocx(ptr.cast(), new_size, 0, 0) } >= new_size {
        return ptr;
    }
    // SAFETY: `new_size > layout.size() > 0` and is a valid size for `layout.align()`, as
    // `GlobalAlloc::realloc` requires of its caller.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    let new = unsafe { Jemalloc.alloc(new_layout) };
    if !new.is_null() {
        // SAFETY: both blocks hold at least `layout.size()` bytes and are distinct.
        unsafe {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size());
            Jemalloc.dealloc(ptr, layout);
        }
    }
    new
}

/// jemalloc's options, read when it starts: freed pages go back to the system after 1 s
/// instead of 10 s (a 1 GiB conversion peaks ~25 MiB lower, no slower).
/// `_RJEM_MALLOC_CONF` in the environment still overrides them.
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: MallocConf = MallocConf(c"dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string pointer that can live in a `static` (`malloc_conf` is a `const char *`).
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);
// SAFETY: the pointer is to a `'static` C string literal, never written.
unsafe impl Sync for MallocConf {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern that differs at every byte offset within a page, so that a copy that lost or
    /// moved a byte is seen.
    fn byte(i: usize) -> u8 {
        (i % 251) as u8
    }

    /// Allocates `size` bytes aligned to `align`, fills them, grows (or shrinks) the block to
    /// each of `sizes` in turn, filling the new bytes, and checks every byte after each step.
    fn resize_through(align: usize, size: usize, sizes: &[usize]) {
        let mut layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: a non-zero size; the block is used within its layout and freed once.
        unsafe {
            let mut ptr = Allocator.alloc(layout);
            assert!(!ptr.is_null());
            for i in 0..size {
                *ptr.add(i) = byte(i);
            }
            for &new_size in sizes {
                ptr = Allocator.realloc(ptr, layout, new_size);
                assert!(!ptr.is_null(), "{size} -> {new_size} bytes");
                assert_eq!(
                    ptr as usize % align,
                    0,
                    "aligned to {align} at {new_size} bytes"
                );
                let kept = layout.size().min(new_size);
                assert!(
                    (0..kept).all(|i| *ptr.add(i) == byte(i)),
                    "the first {kept} bytes survive {} -> {new_size} (align {align})",
                    layout.size()
                );
                for i in kept..new_size {
                    *ptr.add(i) = byte(i);
                }
                layout = Layout::from_size_align(new_size, align).unwrap();
            }
            Allocator.dealloc(ptr, layout);
        }
    }

    /// Growing and shrinking keep the bytes, from small to large blocks and between large ones
    /// (in place or moved, depending on what jemalloc has next to the block), at alignments
    /// from 1 byte to 64 KiB, and the block keeps its alignment.
    #[test]
    fn growing_and_shrinking_keeps_the_bytes_and_the_alignment() {
        let steps = [
            100,
            OWN_GROWTH_BYTES - 1,
            OWN_GROWTH_BYTES,
            OWN_GROWTH_BYTES + 1,
            40_000,
            100_003,
            1 << 20,
            (1 << 20) + 4096 * 3 + 5,
            5 << 20,
            3 << 20,
            12 << 20,
            1000,
        ];
        for align in [1, 8, 16, 64, 4096, 8192, 1 << 16] {
            resize_through(align, 1, &steps);
            resize_through(align, OWN_GROWTH_BYTES, &steps[4..]);
        }
    }

    /// Two large blocks grown in turn, so that neither can always grow in place: the other one
    /// sits after it, and [`grow`] moves it.
    #[test]
    fn large_blocks_grown_in_turn_keep_their_bytes() {
        let mut blocks = [
            (std::ptr::null_mut::<u8>(), 0usize, 1u8),
            (std::ptr::null_mut(), 0, 2),
        ];
        // SAFETY: each block is used within its layout and freed once.
        unsafe {
            for (ptr, size, fill) in &mut blocks {
                *size = OWN_GROWTH_BYTES;
                *ptr = Allocator.alloc(Layout::from_size_align(*size, 8).unwrap());
                std::ptr::write_bytes(*ptr, *fill, *size);
            }
            for _ in 0..10 {
                for (ptr, size, fill) in &mut blocks {
                    let layout = Layout::from_size_align(*size, 8).unwrap();
                    let new_size = *size * 2 + 4096 + 7;
                    *ptr = Allocator.realloc(*ptr, layout, new_size);
                    assert!(!ptr.is_null());
                    let bytes = std::slice::from_raw_parts(*ptr, *size);
                    assert!(
                        bytes.iter().all(|b| b == fill),
                        "{size} -> {new_size} bytes"
                    );
                    std::ptr::write_bytes(ptr.add(*size), *fill, new_size - *size);
                    *size = new_size;
                }
            }
            for (ptr, size, _) in blocks {
                Allocator.dealloc(ptr, Layout::from_size_align(size, 8).unwrap());
            }
        }
    }
}
