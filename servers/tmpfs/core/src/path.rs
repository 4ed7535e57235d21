//! Splitting a path into components, as Linux's `getname` and `link_path_walk` see it.

use alloc::vec::Vec;

use crate::{Errno, PATH_MAX};

/// One component of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Component<'a> {
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// A name.
    Name(&'a [u8]),
}

/// A path split into its components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Path<'a> {
    /// The components, in order; empty for `/`.
    pub(crate) components: Vec<Component<'a>>,
    /// Whether the last component is followed by a slash (which asks for a directory).
    pub(crate) trailing_slash: bool,
}

impl<'a> Path<'a> {
    /// Splits `path`: `ENOENT` when it is empty, `ENAMETOOLONG` when it is [`PATH_MAX`]
    /// bytes or longer, `EINVAL` when it holds a NUL byte. A relative path is taken from
    /// the root.
    pub(crate) fn parse(path: &'a [u8]) -> Result<Path<'a>, Errno> {
        if path.len() >= PATH_MAX {
            return Err(Errno::Enametoolong);
        }
        if path.is_empty() {
            return Err(Errno::Enoent);
        }
        if path.contains(&0) {
            return Err(Errno::Einval);
        }
        let components = path
            .split(|&byte| byte == b'/')
            .filter(|component| !component.is_empty())
            .map(|component| match component {
                b"." => Component::Dot,
                b".." => Component::DotDot,
                name => Component::Name(name),
            })
            .collect::<Vec<_>>();
        let trailing_slash = !components.is_empty() && path.ends_with(b"/");
        Ok(Path { components, trailing_slash })
    }
}
