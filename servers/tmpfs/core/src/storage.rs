//! A [`Storage`] over `Vec`s, for tests and for hosts without memory objects.
//!
//! It checks the promises the core makes (every range inside the current size, no use of
//! a destroyed store) by failing with `EIO`, and can be told to refuse to create or grow
//! stores so that the core's handling of a failing storage can be tested.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::{DataId, Errno, Storage};

/// File contents in `Vec`s, one per store.
#[derive(Clone, Debug, Default)]
pub struct VecStorage {
    stores: BTreeMap<DataId, Vec<u8>>,
    next: DataId,
    /// The largest total of store sizes `create` and `resize` may reach (`ENOMEM` past it).
    limit: Option<u64>,
}

impl VecStorage {
    /// Empty storage without a limit.
    pub fn new() -> Self {
        VecStorage { stores: BTreeMap::new(), next: 1, limit: None }
    }

    /// Empty storage whose stores together hold at most `limit` bytes, and which refuses
    /// to create stores when `limit` is 0.
    pub fn with_limit(limit: u64) -> Self {
        VecStorage { limit: Some(limit), ..VecStorage::new() }
    }

    /// The contents of a store.
    pub fn contents(&self, data: DataId) -> Option<&[u8]> {
        self.stores.get(&data).map(Vec::as_slice)
    }

    /// How many stores exist.
    pub fn len(&self) -> usize {
        self.stores.len()
    }

    /// Whether no store exists.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }

    /// The stores that exist.
    pub fn ids(&self) -> Vec<DataId> {
        self.stores.keys().copied().collect()
    }

    fn total(&self) -> u64 {
        self.stores.values().map(|store| store.len() as u64).sum()
    }

    fn range(&mut self, data: DataId, offset: u64, length: usize) -> Result<&mut [u8], Errno> {
        let store = self.stores.get_mut(&data).ok_or(Errno::Eio)?;
        let start = usize::try_from(offset).map_err(|_| Errno::Eio)?;
        let end = start.checked_add(length).ok_or(Errno::Eio)?;
        store.get_mut(start..end).ok_or(Errno::Eio)
    }
}

impl Storage for VecStorage {
    fn create(&mut self) -> Result<DataId, Errno> {
        if self.limit == Some(0) {
            return Err(Errno::Enomem);
        }
        let data = self.next.max(1);
        self.next = data + 1;
        self.stores.insert(data, Vec::new());
        Ok(data)
    }

    fn read(&mut self, data: DataId, offset: u64, into: &mut [u8]) -> Result<(), Errno> {
        let length = into.len();
        into.copy_from_slice(self.range(data, offset, length)?);
        Ok(())
    }

    fn write(&mut self, data: DataId, offset: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.range(data, offset, bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    fn resize(&mut self, data: DataId, size: u64) -> Result<(), Errno> {
        let old = self.stores.get(&data).ok_or(Errno::Eio)?.len() as u64;
        if let Some(limit) = self.limit
            && size > old
            && self.total() - old + size > limit
        {
            return Err(Errno::Enomem);
        }
        let size = usize::try_from(size).map_err(|_| Errno::Enomem)?;
        let store = self.stores.get_mut(&data).ok_or(Errno::Eio)?;
        store.resize(size, 0);
        Ok(())
    }

    fn destroy(&mut self, data: DataId) {
        self.stores.remove(&data);
    }
}
