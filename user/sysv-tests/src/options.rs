//! `--name=value` options of the demo programs; every other argument is an operand.

use alloc::vec::Vec;

/// The value of `--name=VALUE` among `arguments` (the last one given).
pub fn value<'a>(arguments: &[&'a str], name: &str) -> Option<&'a str> {
    arguments
        .iter()
        .rev()
        .find_map(|argument| argument.strip_prefix("--")?.strip_prefix(name)?.strip_prefix('='))
}

/// The arguments that are not `--` options.
pub fn operands<'a>(arguments: &[&'a str]) -> Vec<&'a str> {
    arguments.iter().copied().filter(|argument| !argument.starts_with("--")).collect()
}

/// A number written in decimal or, after `0x`, in hexadecimal (System V keys are usually
/// written in hexadecimal).
pub fn number(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hexadecimal) => i64::from_str_radix(hexadecimal, 16).ok()?,
        None => digits.parse::<i64>().ok()?,
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The key from `--key=KEY`, or `default`; `None` when the option is not a 32-bit
/// number.
pub fn key(arguments: &[&str], default: i32) -> Option<i32> {
    match value(arguments, "key") {
        // Keys are 32-bit patterns: 0xffffffff is -1.
        Some(text) => number(text).and_then(|key| {
            i32::try_from(key).ok().or_else(|| u32::try_from(key).ok().map(|key| key as i32))
        }),
        None => Some(default),
    }
}
