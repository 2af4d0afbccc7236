//! The module's allocator: the standard library's (dlmalloc), with WebAssembly memory grown in
//! large steps instead of 64 KiB at a time.
//!
//! dlmalloc asks the system for memory in 64 KiB granules, one `memory.grow` whenever its top
//! chunk runs out, so a conversion whose heap reaches 150 MiB grows the memory about 2,300
//! times. Each grow costs the engine far more than the allocation: V8 (Node 20) takes 0.5-0.7 ms
//! per `memory.grow` (it replaces the memory's `ArrayBuffer` and reports the new size to its
//! garbage collector, which then runs more often). Those grows and the collections they caused
//! were about half the time of a 64 MB Parquet conversion in Node.
//!
//! Here dlmalloc's system side grows the memory by at least [`MIN_STEP`] bytes, or an eighth of
//! its size when that is more ([`step_pages`]), so the same conversion grows it about twenty
//! times and the memory ends at most an eighth (or [`MIN_STEP`]) larger than the heap needs.
//! When the engine refuses a large step (near its limit), the exact request is tried, as
//! dlmalloc itself would.
//!
//! The allocator is installed only on `wasm32` without threads (`atomics`), where the module
//! runs on one thread and needs no lock; native builds (the crate's tests) keep theirs.

// Native builds (the unit tests) use only the growth policy.
#![cfg_attr(
    not(all(target_arch = "wasm32", not(target_feature = "atomics"))),
    allow(dead_code)
)]

/// WebAssembly's page size.
const PAGE: usize = 64 * 1024;

/// The smallest growth of the memory, in bytes.
const MIN_STEP: usize = 4 << 20;

/// The pages to grow the memory by for a request of `size` bytes when it has `current_pages`
/// pages: at least the request, [`MIN_STEP`] and an eighth of the memory.
fn step_pages(size: usize, current_pages: usize) -> usize {
    size.div_ceil(PAGE)
        .max(MIN_STEP / PAGE)
        .max(current_pages / 8)
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod global {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32::{memory_grow, memory_size};
    use core::cell::UnsafeCell;
    use core::ptr;

    use dlmalloc::{Allocator, Dlmalloc};

    use super::{step_pages, PAGE};

    /// dlmalloc's system side: `memory.grow` by [`step_pages`]. Memory is never given back
    /// (WebAssembly memory cannot shrink).
    struct Growing;

    // SAFETY: `alloc` returns freshly grown memory (unused by anyone, and zeroed) or null; the
    // other methods never release or move anything.
    unsafe impl Allocator for Growing {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let step = step_pages(size, memory_size(0));
            for pages in [step, size.div_ceil(PAGE)] {
                let previous = memory_grow(0, pages);
                if previous == usize::MAX {
                    continue;
                }
                let (base, len) = (previous * PAGE, pages * PAGE);
                // A region that ends at the top of the 4 GiB address space would make
                // `base + len` wrap to 0, which no Rust pointer may do: its last bytes stay
                // out (as in dlmalloc's own wasm system).
                let len = if base.wrapping_add(len) == 0 {
                    len - 16
                } else {
                    len
                };
                return (base as *mut u8, len, 0);
            }
            (ptr::null_mut(), 0, 0)
        }

        fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
            ptr::null_mut()
        }

        fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
            false
        }

        fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
            false
        }

        fn can_release_part(&self, _flags: u32) -> bool {
            false
        }

        fn allocates_zeros(&self) -> bool {
            true
        }

        fn page_size(&self) -> usize {
            PAGE
        }
    }

    /// One dlmalloc over [`Growing`].
    struct GlobalAllocator(UnsafeCell<Dlmalloc<Growing>>);

    // SAFETY: without the `atomics` target feature a wasm32 module has one thread, and dlmalloc
    // never calls the global allocator, so the cell is never borrowed twice at once.
    unsafe impl Sync for GlobalAllocator {}

    impl GlobalAllocator {
        #[allow(clippy::mut_from_ref)]
        fn heap(&self) -> &mut Dlmalloc<Growing> {
            // SAFETY: see the `Sync` impl (one thread, no re-entry while the borrow lives).
            unsafe { &mut *self.0.get() }
        }
    }

    // SAFETY: every method forwards to dlmalloc with the layout it was given, as the standard
    // library's wasm32 allocator does.
    unsafe impl GlobalAlloc for GlobalAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.heap().malloc(layout.size(), layout.align())
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            self.heap().calloc(layout.size(), layout.align())
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.heap().free(ptr, layout.size(), layout.align())
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            self.heap()
                .realloc(ptr, layout.size(), layout.align(), new_size)
        }
    }

    #[global_allocator]
    static GLOBAL: GlobalAllocator =
        GlobalAllocator(UnsafeCell::new(Dlmalloc::new_with_allocator(Growing)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_grows_in_large_steps() {
        let min = MIN_STEP / PAGE;
        assert_eq!(min, 64);
        // Small requests: the minimum step, until an eighth of the memory is more.
        assert_eq!(step_pages(1, 17), min);
        assert_eq!(step_pages(PAGE, 0), min);
        assert_eq!(step_pages(0, 8 * min), min);
        assert_eq!(step_pages(1, 8 * min + 8), min + 1);
        assert_eq!(step_pages(1, 2400), 300);
        // A request larger than both: exactly its pages, rounded up.
        assert_eq!(step_pages(MIN_STEP + 1, 17), min + 1);
        assert_eq!(step_pages(100 * PAGE, 800), 100);
        assert_eq!(step_pages(99 * PAGE + 1, 801), 100);
    }

    #[test]
    fn a_heap_of_300_mib_takes_27_grows() {
        // dlmalloc asks for 64 KiB at a time when small allocations run out of room.
        let (mut pages, mut grows) = (17, 0);
        while pages * PAGE < 300 << 20 {
            pages += step_pages(PAGE, pages);
            grows += 1;
        }
        assert_eq!(grows, 27);
        assert!(pages * PAGE < (300 << 20) + (300 << 20) / 8);
    }
}
