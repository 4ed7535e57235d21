//! Terminal input: the shell is the console's line discipline.
//!
//! The console gives raw bytes (the kernel collects them by interrupt, nothing is echoed),
//! so the shell echoes and edits. At the prompt it edits a command line; while a
//! foreground job runs it edits the job's input lines and passes them on through a pipe
//! (see `main.rs`), turning Ctrl-C into SIGINT, Ctrl-\ into SIGQUIT and Ctrl-Z into
//! SIGTSTP for the job's process group, and Ctrl-D into end of file.
//!
//! Keys: printable characters are inserted at the end and echoed; Backspace (DEL or ^H)
//! erases one; Ctrl-U erases the line; Ctrl-C abandons it; Ctrl-D on an empty line is end
//! of file; Enter (CR or LF; CR LF counts once) ends the line; the up and down arrows
//! (`ESC [ A`, `ESC [ B`) walk the history.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use libsys::fd;

/// Ctrl-C.
pub const INTERRUPT: u8 = 0x03;
/// Ctrl-D.
pub const END_OF_FILE: u8 = 0x04;
/// Ctrl-\.
pub const QUIT: u8 = 0x1c;
/// Ctrl-Z.
pub const SUSPEND: u8 = 0x1a;
const KILL_LINE: u8 = 0x15;
const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const ESCAPE: u8 = 0x1b;

/// What a key did to the line being edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing to act on yet.
    Nothing,
    /// Enter: the line is complete.
    Line(String),
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D on an empty line.
    EndOfFile,
    /// Ctrl-D on a line with text: pass it on without a newline.
    Flush(String),
    /// Ctrl-\.
    Quit,
    /// Ctrl-Z.
    Suspend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EscapeState {
    None,
    Escape,
    Bracket,
}

/// A line being edited, with the history.
pub struct Editor {
    line: String,
    history: Vec<String>,
    /// Position in the history while walking it (`history.len()`: the new line).
    browsing: usize,
    escape: EscapeState,
    after_carriage_return: bool,
    typed_ahead: VecDeque<u8>,
    end_of_input: bool,
}

fn echo(bytes: &[u8]) {
    let _ = fd::write(1, bytes);
}

impl Editor {
    /// An empty editor.
    pub fn new() -> Self {
        Editor {
            line: String::new(),
            history: Vec::new(),
            browsing: 0,
            escape: EscapeState::None,
            after_carriage_return: false,
            typed_ahead: VecDeque::new(),
            end_of_input: false,
        }
    }

    /// Reads what the console has without waiting; `None` when nothing came.
    pub fn poll_byte(&mut self) -> Option<u8> {
        if let Some(byte) = self.typed_ahead.pop_front() {
            return Some(byte);
        }
        if self.end_of_input {
            return Some(END_OF_FILE);
        }
        let mut buffer = [0u8; 64];
        match fd::read(0, &mut buffer) {
            Ok(0) => {
                self.end_of_input = true;
                Some(END_OF_FILE)
            }
            Ok(count) => {
                self.typed_ahead.extend(&buffer[..count]);
                self.typed_ahead.pop_front()
            }
            Err(_) => None,
        }
    }

    /// Waits for the next byte from the console.
    pub fn read_byte(&mut self) -> u8 {
        loop {
            if let Some(byte) = self.poll_byte() {
                return byte;
            }
            let _ = libsys::time::nanosleep(Duration::from_millis(10));
        }
    }

    /// Edits a command line after `prompt` until Enter, Ctrl-C or Ctrl-D.
    pub fn read_command(&mut self, prompt: &str) -> Event {
        echo(prompt.as_bytes());
        self.line.clear();
        self.browsing = self.history.len();
        loop {
            let byte = self.read_byte();
            match self.key(byte, true) {
                Event::Nothing | Event::Flush(_) => {}
                Event::Line(line) => {
                    if !line.trim().is_empty() && self.history.last() != Some(&line) {
                        self.history.push(line.clone());
                    }
                    return Event::Line(line);
                }
                other => return other,
            }
        }
    }

    /// Erases `count` characters on the screen.
    fn rub_out(count: usize) {
        for _ in 0..count {
            echo(b"\x08 \x08");
        }
    }

    fn replace_line(&mut self, text: String) {
        Self::rub_out(self.line.chars().count());
        echo(text.as_bytes());
        self.line = text;
    }

    /// Applies one key to the line. `with_history`: the arrows walk the history.
    pub fn key(&mut self, byte: u8, with_history: bool) -> Event {
        let after_carriage_return = core::mem::replace(&mut self.after_carriage_return, false);
        match self.escape {
            EscapeState::Escape => {
                self.escape = if byte == b'[' || byte == b'O' {
                    EscapeState::Bracket
                } else {
                    EscapeState::None
                };
                return Event::Nothing;
            }
            EscapeState::Bracket => {
                self.escape = EscapeState::None;
                if with_history {
                    match byte {
                        b'A' if self.browsing > 0 => {
                            self.browsing -= 1;
                            self.replace_line(self.history[self.browsing].clone());
                        }
                        b'B' if self.browsing < self.history.len() => {
                            self.browsing += 1;
                            let text = self.history.get(self.browsing).cloned().unwrap_or_default();
                            self.replace_line(text);
                        }
                        _ => {}
                    }
                }
                return Event::Nothing;
            }
            EscapeState::None => {}
        }
        match byte {
            b'\n' if after_carriage_return => Event::Nothing,
            b'\r' | b'\n' => {
                self.after_carriage_return = byte == b'\r';
                echo(b"\n");
                Event::Line(core::mem::take(&mut self.line))
            }
            INTERRUPT => {
                echo(b"^C\n");
                self.line.clear();
                Event::Interrupt
            }
            QUIT => {
                echo(b"^\\\n");
                self.line.clear();
                Event::Quit
            }
            SUSPEND => {
                echo(b"^Z\n");
                self.line.clear();
                Event::Suspend
            }
            END_OF_FILE if self.line.is_empty() => Event::EndOfFile,
            END_OF_FILE => Event::Flush(core::mem::take(&mut self.line)),
            BACKSPACE | DELETE => {
                if self.line.pop().is_some() {
                    Self::rub_out(1);
                }
                Event::Nothing
            }
            KILL_LINE => {
                Self::rub_out(self.line.chars().count());
                self.line.clear();
                Event::Nothing
            }
            ESCAPE => {
                self.escape = EscapeState::Escape;
                Event::Nothing
            }
            0x20..=0x7e => {
                self.line.push(char::from(byte));
                echo(&[byte]);
                Event::Nothing
            }
            _ => Event::Nothing,
        }
    }
}
