//! Tests of the command language: lists, words, quoting, expansions, assignments and
//! syntax errors, plus properties over generated lines.

use super::*;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;

/// Variables for the tests: `?` is 3, `$` is 42, `HOME` is `/root`, `EMPTY` is empty.
fn lookup(name: &str) -> Option<String> {
    match name {
        "?" => Some("3".into()),
        "$" => Some("42".into()),
        "HOME" => Some("/root".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fn words(text: &str) -> Vec<String> {
    let pipeline = parse(text, &lookup).expect("parses").expect("not empty");
    assert_eq!(pipeline.stages.len(), 1);
    pipeline.stages[0].arguments.clone()
}

fn entry(condition: Condition, text: &str, background: bool) -> ListEntry {
    ListEntry { condition, text: text.to_string(), background }
}

#[test]
fn lists_split_at_unquoted_separators() {
    assert_eq!(split_list("").unwrap(), vec![]);
    assert_eq!(split_list("   ").unwrap(), vec![]);
    assert_eq!(split_list("a | b").unwrap(), vec![entry(Condition::Always, "a | b", false)]);
    assert_eq!(
        split_list("a; b && c || d; e & f").unwrap(),
        vec![
            entry(Condition::Always, "a", false),
            entry(Condition::Always, "b", false),
            entry(Condition::IfSucceeded, "c", false),
            entry(Condition::IfFailed, "d", false),
            entry(Condition::Always, "e", true),
            entry(Condition::Always, "f", false),
        ]
    );
    assert_eq!(split_list("sleep 1 &").unwrap(), vec![entry(Condition::Always, "sleep 1", true)]);
    assert_eq!(
        split_list("echo 'a;b' \"c&&d\" e\\;f").unwrap(),
        vec![entry(Condition::Always, "echo 'a;b' \"c&&d\" e\\;f", false)]
    );
    assert_eq!(split_list("a;").unwrap(), vec![entry(Condition::Always, "a", false)]);
}

#[test]
fn background_of_a_chained_list_and_empty_pipelines_are_errors() {
    assert!(split_list("a && b &").unwrap_err().contains("background"));
    assert!(split_list("; a").unwrap_err().contains("`;'"));
    assert!(split_list("a ;; b").unwrap_err().contains("`;'"));
    assert!(split_list("a &&").unwrap_err().contains("&&"));
    assert!(split_list("a ||").unwrap_err().contains("||"));
    assert!(split_list("&& a").unwrap_err().contains("&&"));
    assert!(split_list("echo 'open").unwrap_err().contains("unterminated"));
    assert!(split_list("echo \"open").unwrap_err().contains("unterminated"));
    assert!(split_list("echo \\").unwrap_err().contains("\\"));
}

#[test]
fn the_last_entry_after_a_background_one_runs_unconditionally() {
    let list = split_list("a & b && c").unwrap();
    assert_eq!(
        list,
        vec![
            entry(Condition::Always, "a", true),
            entry(Condition::Always, "b", false),
            entry(Condition::IfSucceeded, "c", false),
        ]
    );
    let list = split_list("a && b; c || d").unwrap();
    assert_eq!(list[1].condition, Condition::IfSucceeded);
    assert_eq!(list[2].condition, Condition::Always);
    assert_eq!(list[3].condition, Condition::IfFailed);
}

#[test]
fn quoting_and_escapes() {
    assert_eq!(words("echo 'a  b' \"c  d\" e\\ f"), ["echo", "a  b", "c  d", "e f"]);
    assert_eq!(words("echo 'it''s'"), ["echo", "its"]);
    assert_eq!(words("echo \"a \\\"q\\\" \\\\ \\$HOME \\n\""), ["echo", "a \"q\" \\ $HOME \\n"]);
    assert_eq!(words("echo '' \"\""), ["echo", "", ""]);
    assert_eq!(words("echo a'|'b \"<\" \\>"), ["echo", "a|b", "<", ">"]);
}

#[test]
fn expansions() {
    assert_eq!(words("echo $? $$ ${HOME}/x $HOME.d"), ["echo", "3", "42", "/root/x", "/root.d"]);
    assert_eq!(words("echo \"$? ${HOME}\" '$HOME'"), ["echo", "3 /root", "$HOME"]);
    // Unset and empty variables vanish unquoted and stay as empty words quoted.
    assert_eq!(words("echo $UNSET $EMPTY x"), ["echo", "x"]);
    assert_eq!(words("echo \"$UNSET\""), ["echo", ""]);
    // A `$` that starts nothing is literal.
    assert_eq!(words("echo $ a$ $1 \"$\""), ["echo", "$", "a$", "$1", "$"]);
    assert!(parse("echo ${HOME", &lookup).unwrap_err().contains("unterminated"));
    assert!(parse("echo ${1x}", &lookup).unwrap_err().contains("bad substitution"));
    // The value is not split into words.
    let spaced = |name: &str| (name == "S").then(|| String::from("a b"));
    let pipeline = parse("echo $S", &spaced).unwrap().unwrap();
    assert_eq!(pipeline.stages[0].arguments, ["echo", "a b"]);
}

#[test]
fn pipelines_and_redirections() {
    let pipeline = parse("cat < in | sort >> out", &lookup).unwrap().unwrap();
    assert_eq!(pipeline.stages.len(), 2);
    assert_eq!(pipeline.stages[0].input.as_deref(), Some("in"));
    assert_eq!(pipeline.stages[1].output, Some(("out".to_string(), true)));
    let pipeline = parse("echo x>$HOME/f", &lookup).unwrap().unwrap();
    assert_eq!(pipeline.stages[0].arguments, ["echo", "x"]);
    assert_eq!(pipeline.stages[0].output, Some(("/root/f".to_string(), false)));
    assert_eq!(parse("", &lookup), Ok(None));
    assert_eq!(parse("$UNSET", &lookup), Ok(None));
}

#[test]
fn syntax_errors() {
    assert!(parse("| a", &lookup).unwrap_err().contains("`|'"));
    assert!(parse("a |", &lookup).unwrap_err().contains("`|'"));
    assert!(parse("a | | b", &lookup).unwrap_err().contains("`|'"));
    assert!(parse("a >", &lookup).unwrap_err().contains("file name"));
    assert!(parse("a < | b", &lookup).unwrap_err().contains("file name"));
    assert!(parse("> f", &lookup).unwrap_err().contains("no command"));
    assert!(parse("A=1 | cat", &lookup).unwrap_err().contains("`|'"));
}

#[test]
fn assignments_lead_the_command() {
    let pipeline = parse("A=1 B=$HOME", &lookup).unwrap().unwrap();
    let stage = &pipeline.stages[0];
    assert!(stage.arguments.is_empty());
    assert_eq!(stage.assignments, [("A".into(), "1".into()), ("B".into(), "/root".into())]);
    let pipeline = parse("LANG=C env X=2", &lookup).unwrap().unwrap();
    let stage = &pipeline.stages[0];
    assert_eq!(stage.assignments, [("LANG".into(), "C".into())]);
    assert_eq!(stage.arguments, ["env", "X=2"]);
    // Quoted, or not a name: an ordinary word.
    assert_eq!(words("'A=1'"), ["A=1"]);
    assert_eq!(words("1A=2"), ["1A=2"]);
    assert_eq!(words("=x"), ["=x"]);
    let pipeline = parse("A= x", &lookup).unwrap().unwrap();
    assert_eq!(pipeline.stages[0].assignments, [("A".into(), String::new())]);
    assert!(is_name("_a1") && !is_name("") && !is_name("a-b") && !is_name("9"));
}

/// A word of safe characters.
fn plain_word() -> impl Strategy<Value = String> {
    "[a-z0-9/._-]{1,8}"
}

proptest! {
    /// Any text at all gives a list or an error, never a panic, and every entry's text is
    /// non-empty.
    #[test]
    fn splitting_never_panics(line in "[ -~]{0,40}") {
        if let Ok(list) = split_list(&line) {
            for entry in list {
                prop_assert!(!entry.text.trim().is_empty());
            }
        }
        let _ = parse(&line, &lookup);
    }

    /// Plain words joined by blanks come back as the same words; single-quoting any of
    /// them changes nothing.
    #[test]
    fn plain_words_survive(parts in prop::collection::vec(plain_word(), 1..6), quote in any::<u8>()) {
        let typed: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(index, part)| if quote & (1 << index) != 0 { format!("'{part}'") } else { part.clone() })
            .collect();
        let line = typed.join("  ");
        let pipeline = parse(&line, &lookup).unwrap().unwrap();
        prop_assert_eq!(&pipeline.stages[0].arguments, &parts);
    }

    /// Pipelines joined by `;`, `&&` and `||` split back into the same pipelines with the
    /// matching conditions.
    #[test]
    fn lists_round_trip(
        parts in prop::collection::vec((plain_word(), 0..3usize), 1..6)
    ) {
        let separators = [";", "&&", "||"];
        let mut line = String::new();
        for (index, (word, separator)) in parts.iter().enumerate() {
            if index > 0 {
                line.push_str(&format!(" {} ", separators[parts[index - 1].1]));
            }
            line.push_str(word);
            let _ = separator;
        }
        let list = split_list(&line).unwrap();
        prop_assert_eq!(list.len(), parts.len());
        for (index, entry) in list.iter().enumerate() {
            prop_assert_eq!(&entry.text, &parts[index].0);
            let expected = if index == 0 {
                Condition::Always
            } else {
                [Condition::Always, Condition::IfSucceeded, Condition::IfFailed][parts[index - 1].1]
            };
            prop_assert_eq!(entry.condition, expected);
        }
    }
}
