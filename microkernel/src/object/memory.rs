//! Fallible heap allocation for kernel objects.
//!
//! The kernel never lets a user request end in an allocation failure panic: growth of a
//! collection goes through `try_reserve`, and a new box through [`try_box`], which return
//! [`super::Exhausted`] instead.

use alloc::boxed::Box;
use core::alloc::Layout;

use super::Exhausted;

/// Moves `value` into a new heap allocation, or gives it back with the error.
///
/// # Errors
///
/// [`Exhausted`] when the allocator has no memory (the value is dropped).
pub fn try_box<T>(value: T) -> Result<Box<T>, Exhausted> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(Box::new(value));
    }
    // SAFETY: the layout has a non-zero size, as `alloc` requires.
    let pointer = unsafe { alloc::alloc::alloc(layout) }.cast::<T>();
    if pointer.is_null() {
        return Err(Exhausted);
    }
    // SAFETY: `pointer` is a fresh allocation with `T`'s layout; writing the value
    // initialises it, and `Box::from_raw` takes ownership of memory allocated by the global
    // allocator with that same layout.
    unsafe {
        pointer.write(value);
        Ok(Box::from_raw(pointer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_values() {
        let boxed = try_box([7u64; 64]).unwrap();
        assert_eq!(boxed[63], 7);
        let unit = try_box(()).unwrap();
        assert_eq!(*unit, ());
    }
}
