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

/// A new heap array of `N` values made by `element(index)`, built in place (an array of
/// large objects would not fit on the kernel stack), or [`Exhausted`].
///
/// # Errors
///
/// [`Exhausted`] when the allocator has no memory.
pub fn try_box_array<T, const N: usize>(
    mut element: impl FnMut(usize) -> T,
) -> Result<Box<[T; N]>, Exhausted> {
    let layout = Layout::new::<[T; N]>();
    if layout.size() == 0 {
        return Ok(Box::new(core::array::from_fn(element)));
    }
    // SAFETY: the layout has a non-zero size, as `alloc` requires.
    let pointer = unsafe { alloc::alloc::alloc(layout) }.cast::<T>();
    if pointer.is_null() {
        return Err(Exhausted);
    }
    for index in 0..N {
        // SAFETY: `pointer` is a fresh allocation of `N` `T`s; element `index` is in it and
        // not yet initialised. `element` cannot observe the array (it is not reachable).
        unsafe { pointer.add(index).write(element(index)) };
    }
    // SAFETY: all `N` elements are initialised, and the memory was allocated by the global
    // allocator with the layout of `[T; N]`, which `Box` frees with that same layout. (If
    // `element` panicked the allocation would leak, never be freed twice; the kernel stops
    // on a panic anyway.)
    unsafe { Ok(Box::from_raw(pointer.cast::<[T; N]>())) }
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

    #[test]
    fn builds_arrays_in_place() {
        let boxed: Box<[String; 40]> = try_box_array(|index| alloc::format!("{index}")).unwrap();
        assert_eq!(boxed[39], "39");
        let empty: Box<[(); 3]> = try_box_array(|_| ()).unwrap();
        assert_eq!(empty.len(), 3);
    }
}
