//! A directory's entries, kept the way Linux tmpfs's "stable directory offsets" keep them.
//!
//! Linux 6.18 tmpfs gives each entry a cookie from a per-directory cyclic counter
//! (`mtree_alloc_cyclic` over 3 ..= `DIR_OFFSET_EOD` - 1), and lists a directory by
//! walking its dentries' `d_children` list, where each new dentry (a new name, or a
//! renamed one) goes to the head: newest first. Reading at cookie `c` starts at the entry
//! whose cookie is the largest one at most `c` (the head of the list when there is none, as
//! for cookie 2), then follows the list. Both orders are kept here: `by_cookie` and `by_age` (the list, as insertion
//! sequence numbers, newest largest).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::{END_OF_DIRECTORY, InodeNumber};

/// The first cookie after `.` (0) and `..` (1): "the newest entry" (`DIR_OFFSET_FIRST`).
const FIRST_COOKIE: u64 = 2;
/// The smallest cookie an entry gets (`DIR_OFFSET_MIN`).
const MIN_COOKIE: u64 = 3;

/// One name in a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The inode it names.
    pub(crate) inode: InodeNumber,
    /// Its listing cookie.
    pub(crate) cookie: u64,
    /// Its place in the list (larger is newer).
    age: u64,
}

/// The entries of one directory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Directory {
    /// The parent directory (the root is its own parent).
    pub(crate) parent: InodeNumber,
    /// Whether the directory was removed (Linux's `IS_DEADDIR`).
    pub(crate) removed: bool,
    entries: BTreeMap<Vec<u8>, Entry>,
    by_cookie: BTreeMap<u64, Vec<u8>>,
    by_age: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
    next_age: u64,
}

impl Directory {
    /// An empty directory in `parent`.
    pub(crate) fn new(parent: InodeNumber) -> Self {
        Directory { parent, next_cookie: MIN_COOKIE, ..Directory::default() }
    }

    /// The entry called `name`.
    pub(crate) fn get(&self, name: &[u8]) -> Option<Entry> {
        self.entries.get(name).copied()
    }

    /// The number of entries (`.` and `..` not counted).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, by name (for tests).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&[u8], Entry)> {
        self.entries.iter().map(|(name, entry)| (name.as_slice(), *entry))
    }

    /// Whether every cookie is taken, so that no entry can be added (Linux's
    /// `simple_offset_add` fails with `ENOSPC` then).
    pub(crate) fn is_full(&self) -> bool {
        self.by_cookie.len() as u64 >= END_OF_DIRECTORY - MIN_COOKIE
    }

    /// A fresh cookie: the first free one from the counter on, wrapping to the smallest
    /// (the directory must not be full).
    fn allocate_cookie(&mut self) -> u64 {
        let mut cookie = self.next_cookie;
        loop {
            if cookie >= END_OF_DIRECTORY {
                cookie = MIN_COOKIE;
            }
            if !self.by_cookie.contains_key(&cookie) {
                break;
            }
            cookie += 1;
        }
        self.next_cookie = cookie + 1;
        cookie
    }

    /// Adds `name` (which must be free) at the head of the list, with `cookie` or a fresh
    /// one.
    pub(crate) fn insert(&mut self, name: &[u8], inode: InodeNumber, cookie: Option<u64>) {
        let cookie = match cookie {
            Some(cookie) => cookie,
            None => self.allocate_cookie(),
        };
        let age = self.next_age;
        self.next_age += 1;
        self.entries.insert(name.to_vec(), Entry { inode, cookie, age });
        self.by_cookie.insert(cookie, name.to_vec());
        self.by_age.insert(age, name.to_vec());
    }

    /// Removes `name`, returning its entry.
    pub(crate) fn remove(&mut self, name: &[u8]) -> Option<Entry> {
        let entry = self.entries.remove(name)?;
        self.by_cookie.remove(&entry.cookie);
        self.by_age.remove(&entry.age);
        Some(entry)
    }

    /// The entry a listing at `cookie` (2 or more) returns, with the cookie after it.
    pub(crate) fn listing_at(&self, cookie: u64) -> Option<(&[u8], Entry, u64)> {
        if cookie == END_OF_DIRECTORY {
            return None;
        }
        // offset_dir_lookup: the entry with the largest cookie at most `cookie`, or the
        // newest entry when there is none (always for FIRST_COOKIE).
        let name = match self.by_cookie.range(..=cookie).next_back() {
            Some((_, name)) => name,
            None => self.by_age.values().next_back()?,
        };
        let entry = self.entries.get(name)?;
        let next = self
            .by_age
            .range(..entry.age)
            .next_back()
            .and_then(|(_, next)| self.entries.get(next))
            .map_or(END_OF_DIRECTORY, |next| next.cookie);
        Some((name.as_slice(), *entry, next))
    }

    /// The cookie of the newest entry, or [`END_OF_DIRECTORY`] when there is none: the
    /// cookie after `..`.
    pub(crate) fn first_cookie(&self) -> u64 {
        self.listing_at(FIRST_COOKIE).map_or(END_OF_DIRECTORY, |(_, entry, _)| entry.cookie)
    }

    /// Checks that the three indexes agree (for tests).
    #[cfg(test)]
    pub(crate) fn is_consistent(&self) -> bool {
        self.entries.len() == self.by_cookie.len()
            && self.entries.len() == self.by_age.len()
            && self.entries.iter().all(|(name, entry)| {
                self.by_cookie.get(&entry.cookie) == Some(name)
                    && self.by_age.get(&entry.age) == Some(name)
                    && (MIN_COOKIE..END_OF_DIRECTORY).contains(&entry.cookie)
            })
    }
}
