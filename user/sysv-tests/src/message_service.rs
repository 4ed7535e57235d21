//! The message queue demo's protocol (`msgq-server`, `msgq-client`), the classic single
//! queue design: clients send requests of type [`REQUEST_TYPE`] to the queue of a known
//! key ([`DEFAULT_KEY`] unless `--key=` says otherwise); a request carries the client's
//! pid and a line of text; the server answers with a message whose type is that pid, so
//! each client receives only its own reply (`msgrcv` with `msgtyp` = its pid), however
//! many are waiting. The reply is the text in capitals.

use alloc::string::String;
use alloc::vec::Vec;

/// The queue's key unless `--key=` names another (`"MSGQ"` in ASCII).
pub const DEFAULT_KEY: i32 = 0x4d53_4751;

/// The type of requests (replies carry the client's pid, which is never 1: that is init).
pub const REQUEST_TYPE: i64 = 1;

/// The longest text a request may carry.
pub const MAX_TEXT: usize = 256;

/// Bytes before the text in a request: the client's pid, little-endian.
const HEADER: usize = 4;

/// The largest message either side sends or receives.
pub const MAX_MESSAGE: usize = HEADER + MAX_TEXT;

/// A request's body: `pid` then `text` (at most [`MAX_TEXT`] bytes of it).
pub fn encode_request(pid: i32, text: &str) -> Vec<u8> {
    let text = &text.as_bytes()[..text.len().min(MAX_TEXT)];
    let mut body = Vec::with_capacity(HEADER + text.len());
    body.extend_from_slice(&pid.to_le_bytes());
    body.extend_from_slice(text);
    body
}

/// The pid and text of a request's body; `None` when it is too short to be one.
pub fn decode_request(body: &[u8]) -> Option<(i32, String)> {
    let pid = i32::from_le_bytes(body.get(..HEADER)?.try_into().ok()?);
    Some((pid, String::from_utf8_lossy(&body[HEADER..]).into_owned()))
}

/// The server's answer to `text`.
pub fn answer(text: &str) -> String {
    text.to_uppercase()
}
