//! sh: the shell on Courier's serial console.
//!
//! `sh` reads command lines from the console with line editing and history (see
//! [`editor`]), parses them (see [`parse`]: quoting, `$?`, `a | b | c`, `<`, `>`, `>>`,
//! `&`) and runs them; `sh -c LINE` runs one line and exits with its status.
//!
//! # Jobs
//!
//! Every pipeline is a job: its stages are spawned by image name, each in the process
//! group the first one leads, connected by pipes installed with `dup2` file actions. The
//! shell never runs a stage itself, except the builtins of a one-stage line (`exit`,
//! `jobs`, `wait`, `fg`, `echo`, `help`, `cd`, `true`, `false`); `echo` in a pipeline is
//! the `echo` program.
//!
//! # The console
//!
//! Courier has no terminal driver, so the shell is the console's line discipline. A
//! foreground job's standard input (unless redirected) is a pipe the shell feeds: it keeps
//! reading the console while the job runs, edits and echoes each line and passes it on
//! when Enter is pressed; Ctrl-D closes the pipe (end of file), Ctrl-C sends SIGINT and
//! Ctrl-\ SIGQUIT to the job's process group. A background job's standard input is
//! closed. The shell polls: every 10 ms it reads the console without blocking and checks
//! the job's processes with `WNOHANG`.
//!
//! A child that dies of a signal is reported as `sh: NAME: killed by SIGSEGV` (not for
//! SIGINT and SIGPIPE, as other shells), and `$?` is 128 plus the signal.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod editor;
mod parse;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use editor::{Editor, Event};
use libsys::abi::io::{F_SETFL, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY};
use libsys::abi::signal::{SIGINT, SIGPIPE, SIGQUIT};
use libsys::fd::{self, Fd};
use libsys::fs::{O_CREAT, O_TRUNC};
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::signal::Handler;
use libsys::{Errno, eprintln, println};
use parse::{Command, Pipeline};

libsys::main!(main);

/// The help text.
const HELP: &str = "\
Courier sh: cmd args, a | b | c, < file, > file, >> file, cmd &, 'quoted', \"quoted\", \\x, $?
Keys: Backspace, Ctrl-U (erase line), Ctrl-C (interrupt), Ctrl-D (end of input), Up/Down (history)
Builtins: echo, exit [n], jobs, wait [%n|pid], fg [%n], help, true, false
Programs: ps, kill [-SIG] pid|-pgid, ls [-l] [path], cat [file...], echo, mkdir, rm, mkfifo, sleep,
  ipcs [-q|-s|-m], ipcrm -q|-s|-m id | -Q|-S|-M key, free, and every program in the boot image";

/// One pipeline started by the shell.
struct Job {
    /// Its number for `jobs`, `fg` and `wait` (`%n`).
    number: usize,
    /// Its process group (the first stage's pid).
    group: Pid,
    /// The stages' pids, with their wait statuses once reaped.
    processes: Vec<(Pid, String, Option<i32>)>,
    /// The line that started it.
    text: String,
}

impl Job {
    fn finished(&self) -> bool {
        self.processes.iter().all(|(_, _, status)| status.is_some())
    }

    /// Reaps whatever has ended, without waiting.
    fn poll(&mut self) {
        for (pid, _, status) in &mut self.processes {
            if status.is_none() {
                match proc::waitpid(*pid, proc::WNOHANG) {
                    Ok((ended, value)) if ended == *pid => *status = Some(value),
                    Ok(_) => {}
                    // Reaped elsewhere or gone: count it as ended.
                    Err(Errno::Echild) => *status = Some(0),
                    Err(_) => {}
                }
            }
        }
    }

    /// `$?` for the job: the last stage's status.
    fn exit_code(&self) -> i32 {
        self.processes.last().and_then(|(_, _, status)| *status).map_or(0, code_of)
    }

    fn report_signals(&self) {
        for (_, name, status) in &self.processes {
            if let Some(status) = *status
                && proc::signaled(status)
            {
                let signal = proc::terminating_signal(status) as u32;
                if signal != SIGINT && signal != SIGPIPE {
                    eprintln!("sh: {name}: killed by {}", signal_name(signal));
                }
            }
        }
    }

    fn state(&self) -> String {
        if !self.finished() {
            return "Running".into();
        }
        let status = self.processes.last().and_then(|(_, _, status)| *status).unwrap_or(0);
        if proc::signaled(status) {
            format!("Killed by {}", signal_name(proc::terminating_signal(status) as u32))
        } else if proc::exit_status(status) != 0 {
            format!("Exit {}", proc::exit_status(status))
        } else {
            "Done".into()
        }
    }
}

fn signal_name(signal: u32) -> String {
    libsys::abi::signal::name(signal).map_or_else(|| format!("signal {signal}"), String::from)
}

/// A wait status as `$?`.
fn code_of(status: i32) -> i32 {
    if proc::signaled(status) {
        128 + proc::terminating_signal(status)
    } else {
        proc::exit_status(status)
    }
}

/// Does nothing: SIGPIPE is caught (not ignored, which children would inherit) so that
/// feeding a job that stopped reading fails with EPIPE instead of ending the shell.
fn ignore_signal(_signal: u32) {}

struct Shell {
    editor: Editor,
    status: i32,
    jobs: Vec<Job>,
    prompt: &'static str,
}

/// What happens to the shell after a line.
enum Flow {
    Continue,
    Exit(i32),
}

impl Shell {
    fn new() -> Self {
        let prompt = if proc::geteuid() == Ok(0) { "# " } else { "$ " };
        Shell { editor: Editor::new(), status: 0, jobs: Vec::new(), prompt }
    }

    /// Prints and forgets background jobs that have ended.
    fn report_finished_jobs(&mut self) {
        for job in &mut self.jobs {
            job.poll();
        }
        let (finished, running): (Vec<Job>, Vec<Job>) =
            core::mem::take(&mut self.jobs).into_iter().partition(Job::finished);
        self.jobs = running;
        for job in finished {
            job.report_signals();
            println!("[{}]  {:<24}{}", job.number, job.state(), job.text);
        }
    }

    fn run_line(&mut self, line: &str) -> Flow {
        let pipeline = match parse::parse(line, self.status) {
            Ok(Some(pipeline)) => pipeline,
            Ok(None) => return Flow::Continue,
            Err(error) => {
                eprintln!("sh: {error}");
                self.status = 2;
                return Flow::Continue;
            }
        };
        if let [stage] = pipeline.stages.as_slice()
            && !pipeline.background
            && let Some(flow) = self.builtin(stage)
        {
            return flow;
        }
        self.run_pipeline(&pipeline, line.trim());
        Flow::Continue
    }

    /// Runs `stage` if it is a builtin.
    fn builtin(&mut self, stage: &Command) -> Option<Flow> {
        let arguments: Vec<&str> = stage.arguments.iter().map(String::as_str).collect();
        let output_text = match arguments[0] {
            "exit" => {
                let code = match arguments.get(1) {
                    None => self.status,
                    Some(text) => match text.parse::<i32>() {
                        Ok(code) => code,
                        Err(_) => {
                            eprintln!("sh: exit: {text}: numeric argument required");
                            2
                        }
                    },
                };
                return Some(Flow::Exit(code));
            }
            "echo" => {
                let mut text = arguments[1..].join(" ");
                text.push('\n');
                text
            }
            "help" => format!("{HELP}\n"),
            "jobs" => {
                for job in &mut self.jobs {
                    job.poll();
                }
                self.jobs
                    .iter()
                    .map(|job| format!("[{}]  {:<24}{}\n", job.number, job.state(), job.text))
                    .collect()
            }
            "true" => String::new(),
            "false" => {
                self.status = 1;
                return Some(Flow::Continue);
            }
            "cd" => {
                eprintln!("sh: cd: Courier has no working directory (paths start at /)");
                self.status = 1;
                return Some(Flow::Continue);
            }
            "wait" => {
                self.status = self.wait_builtin(arguments.get(1).copied());
                return Some(Flow::Continue);
            }
            "fg" => {
                self.status = self.foreground_builtin(arguments.get(1).copied());
                return Some(Flow::Continue);
            }
            _ => return None,
        };
        self.status = match &stage.output {
            None => write_all(1, output_text.as_bytes()),
            Some((path, append)) => match open_output(path, *append) {
                Ok(descriptor) => {
                    let code = write_all(descriptor, output_text.as_bytes());
                    let _ = fd::close(descriptor);
                    code
                }
                Err(error) => {
                    eprintln!("sh: {path}: {error}");
                    1
                }
            },
        };
        Some(Flow::Continue)
    }

    /// The position in `jobs` of `%n`, a pid, or the newest job.
    fn find_job(&self, selector: Option<&str>) -> Result<Option<usize>, String> {
        let Some(selector) = selector else {
            return Ok(self.jobs.len().checked_sub(1));
        };
        let found = if let Some(number) = selector.strip_prefix('%') {
            let number: usize = number.parse().map_err(|_| format!("{selector}: no such job"))?;
            self.jobs.iter().position(|job| job.number == number)
        } else {
            let pid: Pid = selector.parse().map_err(|_| format!("{selector}: not a pid"))?;
            self.jobs.iter().position(|job| job.processes.iter().any(|&(p, _, _)| p == pid))
        };
        found.map(Some).ok_or_else(|| format!("{selector}: no such job"))
    }

    fn wait_builtin(&mut self, selector: Option<&str>) -> i32 {
        let selected = if selector.is_none() {
            None
        } else {
            match self.find_job(selector) {
                Ok(found) => found,
                Err(error) => {
                    eprintln!("sh: wait: {error}");
                    return 127;
                }
            }
        };
        let mut code = 0;
        loop {
            let pending: Vec<usize> = match selected {
                Some(index) => alloc::vec![index],
                None => (0..self.jobs.len()).collect(),
            };
            for &index in &pending {
                self.jobs[index].poll();
            }
            if pending.iter().all(|&index| self.jobs[index].finished()) {
                if let Some(index) = selected {
                    code = self.jobs[index].exit_code();
                }
                break;
            }
            match self.editor.poll_byte() {
                Some(editor::INTERRUPT) => {
                    println!("^C");
                    return 130;
                }
                // Other keys typed while waiting are dropped.
                Some(_) => {}
                None => {
                    let _ = libsys::time::nanosleep(Duration::from_millis(10));
                }
            }
        }
        self.report_finished_jobs();
        code
    }

    fn foreground_builtin(&mut self, selector: Option<&str>) -> i32 {
        let index = match self.find_job(selector) {
            Ok(Some(index)) => index,
            Ok(None) => {
                eprintln!("sh: fg: no current job");
                return 1;
            }
            Err(error) => {
                eprintln!("sh: fg: {error}");
                return 1;
            }
        };
        let mut job = self.jobs.remove(index);
        println!("{}", job.text);
        self.run_foreground(&mut job, None);
        job.report_signals();
        job.exit_code()
    }

    /// Starts every stage of `pipeline`; returns the job, or `None` when nothing started.
    fn spawn_pipeline(
        &mut self,
        pipeline: &Pipeline,
        text: &str,
        input: Option<Fd>,
    ) -> Option<Job> {
        let count = pipeline.stages.len();
        let mut group: Option<Pid> = None;
        let mut processes = Vec::new();
        // The read end of the pipe from the previous stage.
        let mut previous: Option<Fd> = input;
        let mut failed = false;
        // Descriptors the current stage's child takes copies of.
        let mut to_close: Vec<Fd> = Vec::new();
        for (index, stage) in pipeline.stages.iter().enumerate() {
            let mut actions: Vec<FileAction> = Vec::new();
            let mut next_read = None;
            // Standard input: a redirection, the previous stage, the shell's feed, or
            // nothing (a background job).
            let stdin = match &stage.input {
                Some(path) => match libsys::fs::open(path, O_RDONLY | O_CLOEXEC, 0) {
                    Ok(descriptor) => {
                        to_close.push(descriptor);
                        Some(descriptor)
                    }
                    Err(error) => {
                        eprintln!("sh: {path}: {error}");
                        failed = true;
                        break;
                    }
                },
                None => previous,
            };
            match stdin {
                Some(descriptor) => actions.push(FileAction::Dup2(descriptor, 0)),
                None => actions.push(FileAction::Close(0)),
            }
            // Standard output: a redirection, the next stage, or the console.
            match &stage.output {
                Some((path, append)) => match open_output(path, *append) {
                    Ok(descriptor) => {
                        to_close.push(descriptor);
                        actions.push(FileAction::Dup2(descriptor, 1));
                    }
                    Err(error) => {
                        eprintln!("sh: {path}: {error}");
                        failed = true;
                        break;
                    }
                },
                None if index + 1 < count => match libsys::pipe::pipe2(O_CLOEXEC) {
                    Ok((read_end, write_end)) => {
                        to_close.push(write_end);
                        actions.push(FileAction::Dup2(write_end, 1));
                        next_read = Some(read_end);
                    }
                    Err(error) => {
                        eprintln!("sh: pipe: {error}");
                        failed = true;
                        break;
                    }
                },
                None => {}
            }
            let name = stage.arguments[0].as_str();
            let arguments: Vec<&str> = stage.arguments.iter().map(String::as_str).collect();
            let environment: Vec<&str> = libsys::env::raw_environment().collect();
            let attributes =
                SpawnAttributes { process_group: Some(group.unwrap_or(0)), new_session: false };
            match proc::spawn(name, &arguments, &environment, &actions, &attributes) {
                Ok(pid) => {
                    group.get_or_insert(pid);
                    processes.push((pid, String::from(name), None));
                }
                Err(Errno::Enoent) => eprintln!("sh: {name}: command not found"),
                Err(error) => eprintln!("sh: {name}: {error}"),
            }
            for descriptor in to_close.drain(..) {
                let _ = fd::close(descriptor);
            }
            if let Some(descriptor) = previous
                && Some(descriptor) != input
            {
                let _ = fd::close(descriptor);
            }
            previous = next_read;
        }
        for descriptor in to_close {
            let _ = fd::close(descriptor);
        }
        if let Some(descriptor) = previous
            && Some(descriptor) != input
        {
            let _ = fd::close(descriptor);
        }
        let group = group?;
        // The last stage decides `$?`: one that could not start is 127.
        if failed || processes.len() < count {
            self.status = 127;
        }
        let number = self.jobs.iter().map(|job| job.number).max().unwrap_or(0) + 1;
        Some(Job { number, group, processes, text: String::from(text) })
    }

    fn run_pipeline(&mut self, pipeline: &Pipeline, text: &str) {
        if pipeline.background {
            match self.spawn_pipeline(pipeline, text, None) {
                Some(job) => {
                    println!("[{}] {}", job.number, job.group);
                    self.jobs.push(job);
                    self.status = 0;
                }
                None => self.status = 127,
            }
            return;
        }
        // The foreground job reads what is typed through a pipe the shell feeds, unless
        // its first stage reads a file.
        let feed = if pipeline.stages[0].input.is_none() {
            match libsys::pipe::pipe2(O_CLOEXEC) {
                Ok(ends) => Some(ends),
                Err(error) => {
                    eprintln!("sh: pipe: {error}");
                    None
                }
            }
        } else {
            None
        };
        let job = self.spawn_pipeline(pipeline, text, feed.map(|(read_end, _)| read_end));
        if let Some((read_end, _)) = feed {
            let _ = fd::close(read_end);
        }
        let Some(mut job) = job else {
            if let Some((_, write_end)) = feed {
                let _ = fd::close(write_end);
            }
            self.status = 127;
            return;
        };
        let incomplete = job.processes.len() < pipeline.stages.len();
        self.run_foreground(&mut job, feed.map(|(_, write_end)| write_end));
        job.report_signals();
        if !incomplete {
            self.status = job.exit_code();
        }
    }

    /// Waits for `job`, feeding `input` with the lines typed meanwhile.
    fn run_foreground(&mut self, job: &mut Job, mut input: Option<Fd>) {
        loop {
            job.poll();
            if job.finished() {
                break;
            }
            let Some(byte) = self.editor.poll_byte() else {
                let _ = libsys::time::nanosleep(Duration::from_millis(10));
                continue;
            };
            match self.editor.key(byte, false) {
                Event::Nothing => {}
                Event::Interrupt => {
                    let _ = proc::kill(-job.group, SIGINT);
                }
                Event::Quit => {
                    let _ = proc::kill(-job.group, SIGQUIT);
                }
                Event::Line(mut line) => {
                    line.push('\n');
                    feed(&mut input, line.as_bytes());
                }
                Event::Flush(line) => feed(&mut input, line.as_bytes()),
                Event::EndOfFile => {
                    if let Some(descriptor) = input.take() {
                        let _ = fd::close(descriptor);
                    }
                }
            }
        }
        if let Some(descriptor) = input {
            let _ = fd::close(descriptor);
        }
    }
}

/// Passes typed text to a job; a job that no longer reads gets nothing more.
fn feed(input: &mut Option<Fd>, bytes: &[u8]) {
    if let Some(descriptor) = *input
        && write_all(descriptor, bytes) != 0
    {
        let _ = fd::close(descriptor);
        *input = None;
    }
}

/// Writes all of `bytes`; 0 on success, 1 on failure (as `$?`).
fn write_all(descriptor: Fd, bytes: &[u8]) -> i32 {
    let mut written = 0;
    while written < bytes.len() {
        match fd::write(descriptor, &bytes[written..]) {
            Ok(0) | Err(_) => return 1,
            Ok(count) => written += count,
        }
    }
    0
}

fn open_output(path: &str, append: bool) -> Result<Fd, Errno> {
    let mode = if append { O_APPEND } else { O_TRUNC };
    libsys::fs::open(path, O_WRONLY | O_CREAT | O_CLOEXEC | mode, 0o644)
}

fn main() -> i32 {
    let _ = libsys::signal::signal(SIGPIPE, Handler::Simple(ignore_signal));
    let arguments: Vec<&str> = libsys::env::args().collect();
    let mut shell = Shell::new();
    if let Some(position) = arguments.iter().position(|&argument| argument == "-c") {
        let Some(line) = arguments.get(position + 1) else {
            eprintln!("sh: -c: option requires an argument");
            return 2;
        };
        return match shell.run_line(line) {
            Flow::Exit(code) => code,
            Flow::Continue => shell.status,
        };
    }
    // Files redirected with `>` need somewhere to go.
    let _ = libsys::fs::mkdir("/tmp", 0o777);
    // The shell polls the console (see the module notes).
    let _ = fd::fcntl(0, F_SETFL, O_NONBLOCK);
    println!("Courier sh: type `help` for commands");
    loop {
        shell.report_finished_jobs();
        match shell.editor.read_command(shell.prompt) {
            Event::Line(line) => {
                if let Flow::Exit(code) = shell.run_line(&line) {
                    return code;
                }
            }
            Event::Interrupt => shell.status = 130,
            Event::EndOfFile => {
                println!("exit");
                return shell.status;
            }
            _ => {}
        }
    }
}
