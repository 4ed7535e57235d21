//! The shell's command language, apart from the shell so that it is tested on the host:
//! lists, pipelines, redirections, quoting, variables and assignments.
//!
//! A line is first split into a list ([`split_list`]): pipelines separated by `;`, `&`,
//! `&&` and `||`, each kept as text. The shell parses each pipeline ([`parse`]) only when
//! it is about to run it, so `false; echo $?` sees the status `false` left.
//!
//! # Words
//!
//! Single quotes keep everything literally; double quotes keep everything but `$`
//! expansions and `\` before `"`, `\`, `$`; a backslash outside quotes keeps the next
//! character. `|`, `<`, `>`, `>>` are operators unless quoted. `$NAME`, `${NAME}`, `$?`,
//! `$$` and `$!` expand outside single quotes (an unset variable is empty); the results are
//! not split into fields or globbed. Leading `NAME=value` words are assignments: alone on
//! a line they set shell variables, before a command they are added to its environment.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// When a pipeline of a list runs, given the status of the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// First in the list, or after `;` or `&`.
    Always,
    /// After `&&`: only if the previous pipeline succeeded.
    IfSucceeded,
    /// After `||`: only if the previous pipeline failed.
    IfFailed,
}

/// One pipeline of a list, not yet parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// When it runs.
    pub condition: Condition,
    /// Its text, operators and quotes as typed.
    pub text: String,
    /// Ended with `&`: run in the background.
    pub background: bool,
}

/// One stage of a pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// Leading `NAME=value` words.
    pub assignments: Vec<(String, String)>,
    /// The program (or builtin) and its arguments; empty for a line of assignments.
    pub arguments: Vec<String>,
    /// `< path`.
    pub input: Option<String>,
    /// `> path` (false) or `>> path` (true).
    pub output: Option<(String, bool)>,
}

/// Stages joined by `|`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// The stages, at least one.
    pub stages: Vec<Command>,
}

/// Where quoting stands at a character while scanning a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    None,
    Single,
    Double,
}

/// Splits `line` into its pipelines at unquoted `;`, `&`, `&&` and `||`. An empty line (or
/// one of blanks) is an empty list.
///
/// # Errors
///
/// A one-line description: an empty pipeline next to an operator (`; ;`, `&& x`, `x ||`),
/// `&` after `&&` or `||` (a list in the background is not supported), or unterminated
/// quoting.
pub fn split_list(line: &str) -> Result<Vec<ListEntry>, String> {
    let mut entries = Vec::new();
    let mut condition = Condition::Always;
    let mut text = String::new();
    let mut quoting = Quoting::None;
    let mut characters = line.chars().peekable();
    // Whether the current and-or list has more than one pipeline.
    let mut chained = false;
    while let Some(character) = characters.next() {
        match (quoting, character) {
            (Quoting::None, '\\') | (Quoting::Double, '\\') => {
                text.push(character);
                match characters.next() {
                    Some(escaped) => text.push(escaped),
                    None => return Err("a line cannot end with \\".into()),
                }
            }
            (Quoting::None, '\'') => {
                quoting = Quoting::Single;
                text.push(character);
            }
            (Quoting::None, '"') => {
                quoting = Quoting::Double;
                text.push(character);
            }
            (Quoting::Single, '\'') | (Quoting::Double, '"') => {
                quoting = Quoting::None;
                text.push(character);
            }
            (Quoting::None, ';' | '&' | '|') => {
                let doubled =
                    matches!(character, '&' | '|') && characters.peek() == Some(&character);
                if character == '|' && !doubled {
                    // A pipe stays inside the pipeline.
                    text.push(character);
                    continue;
                }
                if doubled {
                    characters.next();
                }
                let operator = match (character, doubled) {
                    (';', _) => ";",
                    ('&', false) => "&",
                    ('&', true) => "&&",
                    _ => "||",
                };
                if text.trim().is_empty() {
                    return Err(format!("syntax error near `{operator}'"));
                }
                let background = operator == "&";
                if background && chained {
                    return Err("a list cannot go to the background (`&' after && or ||)".into());
                }
                entries.push(ListEntry { condition, text: String::from(text.trim()), background });
                text.clear();
                (condition, chained) = match operator {
                    "&&" => (Condition::IfSucceeded, true),
                    "||" => (Condition::IfFailed, true),
                    _ => (Condition::Always, false),
                };
            }
            _ => text.push(character),
        }
    }
    match quoting {
        Quoting::Single => return Err("unterminated '".into()),
        Quoting::Double => return Err("unterminated \"".into()),
        Quoting::None => {}
    }
    if text.trim().is_empty() {
        if condition != Condition::Always {
            let operator = if condition == Condition::IfSucceeded { "&&" } else { "||" };
            return Err(format!("syntax error: `{operator}' needs a command after it"));
        }
    } else {
        entries.push(ListEntry { condition, text: String::from(text.trim()), background: false });
    }
    Ok(entries)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// A word, and whether any of it was quoted or escaped (a quoted word is never an
    /// assignment and is kept even when empty).
    Word(String, bool),
    Pipe,
    Input,
    Output,
    Append,
}

/// Whether `character` may be part of a variable name (after its first character).
fn name_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}

/// Whether `name` is a variable name: a letter or `_`, then letters, digits and `_`.
pub fn is_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(name_character)
}

/// Reads the expansion after a `$` (the `$` already taken) and appends its value to
/// `word`. Returns false when the `$` starts no expansion (it is then literal).
fn expand(
    characters: &mut core::iter::Peekable<core::str::Chars<'_>>,
    lookup: &dyn Fn(&str) -> Option<String>,
    word: &mut String,
) -> Result<bool, String> {
    let name: String = match characters.peek() {
        Some(&special @ ('?' | '$' | '!')) => {
            characters.next();
            String::from(special)
        }
        Some('{') => {
            characters.next();
            let mut name = String::new();
            loop {
                match characters.next() {
                    Some('}') => break,
                    Some(character) => name.push(character),
                    None => return Err("unterminated ${".into()),
                }
            }
            if !is_name(&name) && !matches!(name.as_str(), "?" | "$" | "!") {
                return Err(format!("${{{name}}}: bad substitution"));
            }
            name
        }
        Some(&first) if first.is_ascii_alphabetic() || first == '_' => {
            let mut name = String::new();
            while let Some(&character) = characters.peek() {
                if !name_character(character) {
                    break;
                }
                name.push(character);
                characters.next();
            }
            name
        }
        _ => return Ok(false),
    };
    word.push_str(&lookup(&name).unwrap_or_default());
    Ok(true)
}

/// Splits one pipeline's text into tokens, expanding variables through `lookup`.
fn tokenize(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut characters = text.chars().peekable();
    let finish =
        |word: &mut String, in_word: &mut bool, quoted: &mut bool, tokens: &mut Vec<Token>| {
            // An unquoted word that expanded to nothing is no word at all.
            if *in_word && (*quoted || !word.is_empty()) {
                tokens.push(Token::Word(core::mem::take(word), *quoted));
            }
            word.clear();
            *in_word = false;
            *quoted = false;
        };
    while let Some(character) = characters.next() {
        match character {
            ' ' | '\t' => finish(&mut word, &mut in_word, &mut quoted, &mut tokens),
            '|' | '<' | '>' => {
                finish(&mut word, &mut in_word, &mut quoted, &mut tokens);
                tokens.push(match character {
                    '|' => Token::Pipe,
                    '<' => Token::Input,
                    _ if characters.peek() == Some(&'>') => {
                        characters.next();
                        Token::Append
                    }
                    _ => Token::Output,
                });
            }
            '\'' => {
                in_word = true;
                quoted = true;
                loop {
                    match characters.next() {
                        Some('\'') => break,
                        Some(literal) => word.push(literal),
                        None => return Err("unterminated '".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                quoted = true;
                loop {
                    match characters.next() {
                        Some('"') => break,
                        Some('\\') if matches!(characters.peek(), Some('"' | '\\' | '$')) => {
                            word.extend(characters.next());
                        }
                        Some('$') => {
                            if !expand(&mut characters, lookup, &mut word)? {
                                word.push('$');
                            }
                        }
                        Some(literal) => word.push(literal),
                        None => return Err("unterminated \"".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                quoted = true;
                match characters.next() {
                    Some(escaped) => word.push(escaped),
                    None => return Err("a line cannot end with \\".into()),
                }
            }
            '$' => {
                in_word = true;
                if !expand(&mut characters, lookup, &mut word)? {
                    word.push('$');
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    finish(&mut word, &mut in_word, &mut quoted, &mut tokens);
    Ok(tokens)
}

/// Splits an unquoted `NAME=value` word into its name and value.
fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    is_name(name).then(|| (String::from(name), String::from(value)))
}

/// Parses one pipeline of a list; `Ok(None)` for text with no words. `lookup` gives the
/// value of a variable (`?`, `$` and `!` included), `None` when it is unset.
///
/// # Errors
///
/// A one-line description of the syntax error.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Pipeline>, String> {
    let tokens = tokenize(text, lookup)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut pipeline = Pipeline::default();
    let mut command = Command::default();
    let mut tokens = tokens.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word, quoted) => {
                match (command.arguments.is_empty() && !quoted).then(|| assignment(&word)).flatten()
                {
                    Some(pair) => command.assignments.push(pair),
                    None => command.arguments.push(word),
                }
            }
            Token::Input | Token::Output | Token::Append => {
                let Some(Token::Word(path, _)) = tokens.next() else {
                    return Err("syntax error: a redirection needs a file name".into());
                };
                match token {
                    Token::Input => command.input = Some(path),
                    _ => command.output = Some((path, token == Token::Append)),
                }
            }
            Token::Pipe => {
                if command.arguments.is_empty() {
                    return Err("syntax error near `|'".into());
                }
                pipeline.stages.push(core::mem::take(&mut command));
            }
        }
    }
    if command.arguments.is_empty()
        && (command.assignments.is_empty() || !pipeline.stages.is_empty())
    {
        return Err(if pipeline.stages.is_empty() {
            "syntax error: no command".into()
        } else {
            "syntax error near `|'".into()
        });
    }
    pipeline.stages.push(command);
    Ok(Some(pipeline))
}

#[cfg(test)]
mod tests;
