//! Shared by the proc test programs: the store server's protocol.

#![no_std]
#![forbid(unsafe_code)]

pub mod store_protocol;
