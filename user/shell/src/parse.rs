//! The command language: words with quoting, `$?`, pipelines, redirections and `&`.
//!
//! A line is split into words and operators. Single quotes keep everything literally;
//! double quotes keep everything but `$?` and `\` before `"`, `\`, `$`; a backslash
//! outside quotes keeps the next character. `|`, `<`, `>`, `>>` and `&` are operators
//! unless quoted. `$?` becomes the last status outside single quotes.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One stage of a pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// The program (or builtin) and its arguments.
    pub arguments: Vec<String>,
    /// `< path`.
    pub input: Option<String>,
    /// `> path` (false) or `>> path` (true).
    pub output: Option<(String, bool)>,
}

/// A whole line: stages joined by `|`, maybe run in the background.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// The stages, at least one.
    pub stages: Vec<Command>,
    /// Ended with `&`.
    pub background: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Pipe,
    Input,
    Output,
    Append,
    Background,
}

/// Splits `line` into tokens, expanding `$?` to `status`.
fn tokenize(line: &str, status: i32) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut characters = line.chars().peekable();
    let status = status.to_string();
    while let Some(character) = characters.next() {
        match character {
            ' ' | '\t' => {
                if in_word {
                    tokens.push(Token::Word(core::mem::take(&mut word)));
                    in_word = false;
                }
            }
            '|' | '<' | '>' | '&' => {
                if in_word {
                    tokens.push(Token::Word(core::mem::take(&mut word)));
                    in_word = false;
                }
                tokens.push(match character {
                    '|' => Token::Pipe,
                    '<' => Token::Input,
                    '&' => Token::Background,
                    _ if characters.peek() == Some(&'>') => {
                        characters.next();
                        Token::Append
                    }
                    _ => Token::Output,
                });
            }
            '\'' => {
                in_word = true;
                loop {
                    match characters.next() {
                        Some('\'') => break,
                        Some(quoted) => word.push(quoted),
                        None => return Err("unterminated '".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match characters.next() {
                        Some('"') => break,
                        Some('\\') if matches!(characters.peek(), Some('"' | '\\' | '$')) => {
                            word.extend(characters.next());
                        }
                        Some('$') if characters.peek() == Some(&'?') => {
                            characters.next();
                            word.push_str(&status);
                        }
                        Some(quoted) => word.push(quoted),
                        None => return Err("unterminated \"".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match characters.next() {
                    Some(escaped) => word.push(escaped),
                    None => return Err("a line cannot end with \\".into()),
                }
            }
            '$' if characters.peek() == Some(&'?') => {
                characters.next();
                in_word = true;
                word.push_str(&status);
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        tokens.push(Token::Word(word));
    }
    Ok(tokens)
}

/// Parses `line`; `Ok(None)` for an empty line. `status` is what `$?` expands to.
///
/// # Errors
///
/// A one-line description of the syntax error.
pub fn parse(line: &str, status: i32) -> Result<Option<Pipeline>, String> {
    let tokens = tokenize(line, status)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut pipeline = Pipeline::default();
    let mut command = Command::default();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word) => command.arguments.push(word),
            Token::Input | Token::Output | Token::Append => {
                let Some(Token::Word(path)) = tokens.next() else {
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
            Token::Background => {
                if tokens.peek().is_some() {
                    return Err("syntax error: `&' must end the line".into());
                }
                pipeline.background = true;
            }
        }
    }
    if command.arguments.is_empty() {
        return Err(if pipeline.stages.is_empty() && !pipeline.background {
            "syntax error: no command".into()
        } else {
            format!("syntax error near `{}'", if pipeline.background { "&" } else { "|" })
        });
    }
    pipeline.stages.push(command);
    Ok(Some(pipeline))
}
