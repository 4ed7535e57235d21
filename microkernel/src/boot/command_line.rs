//! The kernel command line: `key=value` words separated by spaces.
//!
//! Parameters Courier understands (see `docs/boot.md`):
//!
//! | parameter | meaning |
//! |---|---|
//! | `loglevel=error\|warn\|info\|debug\|trace` | console log level (default `info`) |
//! | `mem=<size>` | use only RAM below this physical address, like Linux's `mem=` (`K`, `M`, `G` suffixes) |
//! | `courier.run=<program>[,<program>...]` | programs from the boot image to run, in order |
//! | `courier.selftest=<test>[,<test>...]` | kernel self-tests to run first (`timer`, `console-input`, `kernel-fault`, `panic`) |
//! | `courier.timer_hz=<n>` | timer interrupt frequency, 10 to 1000 (default 100) |
//!
//! A word may be quoted with `"` to contain spaces. Unknown parameters are kept so that
//! the kernel can warn about them.

/// A parsed command line: borrowed `(key, value)` words.
#[derive(Clone, Copy, Debug)]
pub struct CommandLine<'text> {
    text: &'text str,
}

/// One parameter: `key` alone (value `None`) or `key=value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameter<'text> {
    /// The part before `=`.
    pub key: &'text str,
    /// The part after the first `=`, with surrounding quotes removed.
    pub value: Option<&'text str>,
}

impl<'text> CommandLine<'text> {
    /// Wraps `text`; parsing is lazy and never fails.
    pub const fn new(text: &'text str) -> Self {
        CommandLine { text }
    }

    /// The words of the command line, honouring `"` quotes.
    pub fn words(&self) -> impl Iterator<Item = &'text str> + 'text {
        let mut rest = self.text;
        core::iter::from_fn(move || {
            rest = rest.trim_start();
            if rest.is_empty() {
                return None;
            }
            let mut in_quotes = false;
            let mut end = rest.len();
            for (index, character) in rest.char_indices() {
                match character {
                    '"' => in_quotes = !in_quotes,
                    character if character.is_whitespace() && !in_quotes => {
                        end = index;
                        break;
                    }
                    _ => {}
                }
            }
            let word = &rest[..end];
            rest = &rest[end..];
            Some(word)
        })
    }

    /// Every parameter, in order.
    pub fn parameters(&self) -> impl Iterator<Item = Parameter<'text>> + 'text {
        self.words().map(|word| match word.split_once('=') {
            Some((key, value)) => Parameter { key, value: Some(unquote(value)) },
            None => Parameter { key: unquote(word), value: None },
        })
    }

    /// The value of the last `key=value` for `key` (later words override earlier ones).
    pub fn get(&self, key: &str) -> Option<&'text str> {
        self.parameters().filter(|parameter| parameter.key == key).filter_map(|p| p.value).last()
    }

    /// The comma-separated list given for `key`, empty items skipped.
    pub fn list(&self, key: &str) -> impl Iterator<Item = &'text str> + 'text {
        self.get(key)
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(text)
}

/// Parses a size such as `512`, `64K`, `128M` or `2G` (binary units) into bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 10),
        b'm' | b'M' => (&text[..text.len() - 1], 20),
        b'g' | b'G' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    let number: u64 = digits.parse().ok()?;
    number.checked_mul(1u64 << shift)
}

/// Known parameter names, for the unknown-parameter warning.
pub const KNOWN_PARAMETERS: &[&str] = &[
    "loglevel",
    "mem",
    "init",
    "init.args",
    "tmpfs.size",
    "courier.run",
    "courier.selftest",
    "courier.timer_hz",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_and_values() {
        let line = CommandLine::new("  courier.run=hello,page-fault  loglevel=debug quiet ");
        let parameters: Vec<_> = line.parameters().collect();
        assert_eq!(parameters.len(), 3);
        assert_eq!(
            parameters[0],
            Parameter { key: "courier.run", value: Some("hello,page-fault") }
        );
        assert_eq!(parameters[2], Parameter { key: "quiet", value: None });
        assert_eq!(line.get("loglevel"), Some("debug"));
        assert_eq!(line.list("courier.run").collect::<Vec<_>>(), ["hello", "page-fault"]);
        assert_eq!(line.get("missing"), None);
    }

    #[test]
    fn later_words_override_and_quotes_group() {
        let line = CommandLine::new("a=1 b=\"x y\" a=2 ,");
        assert_eq!(line.get("a"), Some("2"));
        assert_eq!(line.get("b"), Some("x y"));
        assert_eq!(CommandLine::new("courier.run=,,hello,").list("courier.run").count(), 1);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size("128m"), Some(128 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("12X"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
        assert_eq!(parse_size("17179869184G"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_words_have_no_outer_spaces(text in ".{0,200}") {
            let line = CommandLine::new(&text);
            for word in line.words() {
                proptest::prop_assert!(!word.is_empty());
                proptest::prop_assert!(!word.starts_with(char::is_whitespace));
            }
            let _ = line.get("mem").and_then(parse_size);
        }
    }
}
