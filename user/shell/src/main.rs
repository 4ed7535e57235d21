//! sh: the shell on Courier's serial console.
//!
//! `sh` reads command lines from the console with line editing and history (see
//! [`editor`]), splits and parses them with `courier_shell_language` (lists with `;`, `&`,
//! `&&`, `||`; pipelines `a | b | c`; `<`, `>`, `>>`; quoting; `$NAME`, `${NAME}`, `$?`,
//! `$$`, `$!`; `NAME=value`) and runs them; `sh -c LINE` runs one line and exits with its
//! status.
//!
//! # Variables
//!
//! The shell's variables start as its environment, all exported. `NAME=value` alone sets
//! one (a new one is not exported), `export NAME[=value]` exports it, `unset NAME` removes
//! it and `set` lists them. Children get the exported variables, plus the assignments
//! that lead their command (`NAME=value program`).
//!
//! # Jobs
//!
//! Every pipeline is a job: its stages are spawned by image name, each in the process
//! group the first one leads, connected by pipes installed with `dup2` file actions. The
//! shell never runs a stage itself, except the builtins of a one-stage pipeline (`exit`,
//! `jobs`, `wait`, `fg`, `bg`, `echo`, `help`, `cd`, `true`, `false`, `export`, `unset`,
//! `set`); `echo` in a pipeline is the `echo` program.
//!
//! Ctrl-Z sends SIGTSTP to the foreground job; the shell sees it stop (`waitpid` with
//! `WUNTRACED`), reports `[n]+  Stopped` and keeps it in the job table with its input
//! pipe, so `fg` continues it (SIGCONT) in the foreground still reading what is typed,
//! and `bg` continues it in the background.
//!
//! # The console
//!
//! Courier has no terminal driver, so the shell is the console's line discipline. A
//! foreground job's standard input (unless redirected) is a pipe the shell feeds: it keeps
//! reading the console while the job runs, edits and echoes each line and passes it on
//! when Enter is pressed; Ctrl-D closes the pipe (end of file), Ctrl-C sends SIGINT,
//! Ctrl-\ SIGQUIT and Ctrl-Z SIGTSTP to the job's process group. A job started in the
//! background gets such a pipe too, fed only after `fg` brings it forward (a terminal
//! would stop a background reader with SIGTTIN; here its read waits). The shell polls:
//! every 10 ms it reads the console without blocking and checks the job's processes with
//! `WNOHANG`.
//!
//! A child that dies of a signal is reported as `sh: NAME: killed by SIGSEGV` (not for
//! SIGINT and SIGPIPE, as other shells), and `$?` is 128 plus the signal.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod editor;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use courier_shell_language::{self as language, Command, Condition, Pipeline};
use editor::{Editor, Event};
use libsys::abi::io::{F_SETFL, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY};
use libsys::abi::signal::{SIGCONT, SIGINT, SIGPIPE, SIGQUIT, SIGTSTP};
use libsys::fd::{self, Fd};
use libsys::fs::{O_CREAT, O_TRUNC};
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::signal::Handler;
use libsys::{Errno, eprintln, println};

libsys::main!(main);

/// The help text.
const HELP: &str = "\
Courier sh: cmd args, a | b | c, < file, > file, >> file, cmd &, a ; b, a && b, a || b,
  'quoted', \"quoted\", \\x, $NAME, ${NAME}, $?, $$, $!, NAME=value [cmd]
Keys: Backspace, Ctrl-U (erase line), Ctrl-C (interrupt), Ctrl-Z (stop), Ctrl-D (end of input),
  Up/Down (history)
Builtins: echo, exit [n], jobs, wait [%n|pid], fg [%n], bg [%n], export NAME[=value], unset NAME,
  set, help, true, false
Programs: ps, kill [-SIG] pid|-pgid|%n, ls [-l] [path], cat [file...], echo, mkdir, rm, mkfifo, sleep,
  ipcs [-q|-s|-m], ipcmk -Q | -S n | -M size, ipcrm -q|-s|-m id | -Q|-S|-M key, free,
  and every program in the boot image (demos: pipe-demo, fifo-server, fifo-client,
  sysv-producer, sysv-consumer, msgq-server, msgq-client, shm-demo, signal-demo)";

/// Where one process of a job stands, as the shell last saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProcessState {
    Running,
    Stopped,
    /// Ended and reaped, with its wait status.
    Ended(i32),
}

/// One process of a job.
struct Stage {
    pid: Pid,
    name: String,
    state: ProcessState,
}

/// One pipeline started by the shell.
struct Job {
    /// Its number for `jobs`, `fg`, `bg` and `wait` (`%n`).
    number: usize,
    /// Its process group (the first stage's pid).
    group: Pid,
    /// Its processes.
    stages: Vec<Stage>,
    /// The line that started it.
    text: String,
    /// The pipe the shell feeds with typed lines (a job started in the foreground).
    input: Option<Fd>,
    /// Whether the shell has said that it stopped (a background job is reported once).
    stop_reported: bool,
}

impl Job {
    fn finished(&self) -> bool {
        self.stages.iter().all(|stage| matches!(stage.state, ProcessState::Ended(_)))
    }

    /// Not finished, and every process still there is stopped.
    fn stopped(&self) -> bool {
        !self.finished() && self.stages.iter().all(|stage| stage.state != ProcessState::Running)
    }

    /// Takes in what has happened to the processes (ended, stopped, continued), without
    /// waiting.
    fn poll(&mut self) {
        let options = proc::WNOHANG | proc::WUNTRACED | proc::WCONTINUED;
        for stage in &mut self.stages {
            while !matches!(stage.state, ProcessState::Ended(_)) {
                match proc::waitpid(stage.pid, options) {
                    Ok((0, _)) => break,
                    Ok((_, status)) if proc::stopped(status) => stage.state = ProcessState::Stopped,
                    Ok((_, status)) if proc::continued(status) => {
                        stage.state = ProcessState::Running;
                    }
                    Ok((_, status)) => stage.state = ProcessState::Ended(status),
                    // Reaped elsewhere or gone: count it as ended.
                    Err(Errno::Echild) => stage.state = ProcessState::Ended(0),
                    Err(_) => break,
                }
            }
        }
    }

    /// Continues a stopped job (SIGCONT to its group).
    fn resume(&mut self) {
        let _ = proc::kill(-self.group, SIGCONT);
        for stage in &mut self.stages {
            if stage.state == ProcessState::Stopped {
                stage.state = ProcessState::Running;
            }
        }
        self.stop_reported = false;
    }

    /// The last stage's wait status, once it has ended.
    fn last_status(&self) -> Option<i32> {
        match self.stages.last()?.state {
            ProcessState::Ended(status) => Some(status),
            _ => None,
        }
    }

    /// `$?` for the job: the last stage's status (128 + SIGTSTP while it is stopped).
    fn exit_code(&self) -> i32 {
        if self.stopped() {
            return 128 + SIGTSTP as i32;
        }
        self.last_status().map_or(0, code_of)
    }

    fn report_signals(&self) {
        for stage in &self.stages {
            if let ProcessState::Ended(status) = stage.state
                && proc::signaled(status)
            {
                let signal = proc::terminating_signal(status) as u32;
                if signal != SIGINT && signal != SIGPIPE {
                    eprintln!("sh: {}: killed by {}", stage.name, signal_name(signal));
                }
            }
        }
    }

    fn state(&self) -> String {
        if self.stopped() {
            return "Stopped".into();
        }
        if !self.finished() {
            return "Running".into();
        }
        let status = self.last_status().unwrap_or(0);
        if proc::signaled(status) {
            format!("Killed by {}", signal_name(proc::terminating_signal(status) as u32))
        } else if proc::exit_status(status) != 0 {
            format!("Exit {}", proc::exit_status(status))
        } else {
            "Done".into()
        }
    }

    /// The line `jobs` prints for it.
    fn describe(&self) -> String {
        format!("[{}]  {:<24}{}", self.number, self.state(), self.text)
    }

    /// Closes the input pipe; the job sees end of file.
    fn close_input(&mut self) {
        if let Some(descriptor) = self.input.take() {
            let _ = fd::close(descriptor);
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

/// One shell variable.
struct Variable {
    value: String,
    /// Passed to children in their environment.
    exported: bool,
}

struct Shell {
    editor: Editor,
    status: i32,
    jobs: Vec<Job>,
    prompt: &'static str,
    variables: BTreeMap<String, Variable>,
    /// The shell's pid (`$$`).
    pid: Pid,
    /// The last job started in the background (`$!`): its group leader.
    last_background: Option<Pid>,
}

/// What happens to the shell after a line.
enum Flow {
    Continue,
    Exit(i32),
}

impl Shell {
    fn new() -> Self {
        let prompt = if proc::geteuid() == Ok(0) { "# " } else { "$ " };
        let variables = libsys::env::vars()
            .map(|(name, value)| {
                (name.to_string(), Variable { value: value.into(), exported: true })
            })
            .collect();
        Shell {
            editor: Editor::new(),
            status: 0,
            jobs: Vec::new(),
            prompt,
            variables,
            pid: proc::getpid().unwrap_or(0),
            last_background: None,
        }
    }

    /// The value of `$name` (`?`, `$` and `!` included).
    fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.pid.to_string()),
            "!" => self.last_background.map(|pid| pid.to_string()),
            _ => self.variables.get(name).map(|variable| variable.value.clone()),
        }
    }

    /// Sets a variable, keeping whether it is exported.
    fn assign(&mut self, name: &str, value: &str) {
        match self.variables.get_mut(name) {
            Some(variable) => variable.value = String::from(value),
            None => {
                let variable = Variable { value: String::from(value), exported: false };
                self.variables.insert(String::from(name), variable);
            }
        }
    }

    /// A child's environment: the exported variables, then `extra` (`NAME=value` before
    /// the command) in their place.
    fn environment(&self, extra: &[(String, String)]) -> Vec<String> {
        let mut environment: BTreeMap<&str, &str> = self
            .variables
            .iter()
            .filter(|(_, variable)| variable.exported)
            .map(|(name, variable)| (name.as_str(), variable.value.as_str()))
            .collect();
        for (name, value) in extra {
            environment.insert(name, value);
        }
        environment.into_iter().map(|(name, value)| format!("{name}={value}")).collect()
    }

    /// Prints what happened to background jobs (ended, or stopped) and forgets those that
    /// ended.
    fn report_job_changes(&mut self) {
        for job in &mut self.jobs {
            job.poll();
            if job.stopped() && !job.stop_reported {
                job.stop_reported = true;
                println!("{}", job.describe());
            }
        }
        let (finished, remaining): (Vec<Job>, Vec<Job>) =
            core::mem::take(&mut self.jobs).into_iter().partition(Job::finished);
        self.jobs = remaining;
        for mut job in finished {
            job.close_input();
            job.report_signals();
            println!("{}", job.describe());
        }
    }

    /// Runs a line: a list of pipelines, each when its condition holds.
    fn run_line(&mut self, line: &str) -> Flow {
        let list = match language::split_list(line) {
            Ok(list) => list,
            Err(error) => {
                eprintln!("sh: {error}");
                self.status = 2;
                return Flow::Continue;
            }
        };
        for entry in list {
            let runs = match entry.condition {
                Condition::Always => true,
                Condition::IfSucceeded => self.status == 0,
                Condition::IfFailed => self.status != 0,
            };
            if !runs {
                continue;
            }
            let parsed = language::parse(&entry.text, &|name| self.lookup(name));
            let pipeline = match parsed {
                Ok(Some(pipeline)) => pipeline,
                Ok(None) => continue,
                Err(error) => {
                    eprintln!("sh: {error}");
                    self.status = 2;
                    return Flow::Continue;
                }
            };
            if let [stage] = pipeline.stages.as_slice()
                && !entry.background
            {
                if stage.arguments.is_empty() {
                    for (name, value) in &stage.assignments {
                        self.assign(name, value);
                    }
                    self.status = 0;
                    continue;
                }
                if let Some(flow) = self.builtin(stage) {
                    if let Flow::Exit(code) = flow {
                        return Flow::Exit(code);
                    }
                    continue;
                }
            }
            self.run_pipeline(&pipeline, entry.background, &entry.text);
        }
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
                self.jobs.iter().map(|job| format!("{}\n", job.describe())).collect()
            }
            "set" => self
                .variables
                .iter()
                .map(|(name, variable)| format!("{name}={}\n", variable.value))
                .collect(),
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
            "export" | "unset" => {
                self.status = self.variable_builtin(&arguments);
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
            "bg" => {
                self.status = self.background_builtin(arguments.get(1).copied());
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

    /// `export NAME[=value]...` (no names: list the exported ones) and `unset NAME...`.
    fn variable_builtin(&mut self, arguments: &[&str]) -> i32 {
        let command = arguments[0];
        if command == "export" && arguments.len() == 1 {
            for (name, variable) in &self.variables {
                if variable.exported {
                    println!("export {name}={}", variable.value);
                }
            }
            return 0;
        }
        let mut code = 0;
        for &argument in &arguments[1..] {
            let (name, value) = match argument.split_once('=') {
                Some((name, value)) if command == "export" => (name, Some(value)),
                _ => (argument, None),
            };
            if !language::is_name(name) {
                eprintln!("sh: {command}: `{argument}': not a valid identifier");
                code = 1;
                continue;
            }
            if command == "unset" {
                self.variables.remove(name);
                continue;
            }
            if let Some(value) = value {
                self.assign(name, value);
            }
            let variable = self
                .variables
                .entry(String::from(name))
                .or_insert_with(|| Variable { value: String::new(), exported: false });
            variable.exported = true;
        }
        code
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
            self.jobs.iter().position(|job| job.stages.iter().any(|stage| stage.pid == pid))
        };
        found.map(Some).ok_or_else(|| format!("{selector}: no such job"))
    }

    /// `kill`'s arguments with each job (`%n`) turned into its process group (`-pgid`), as
    /// a shell's own `kill` takes them; other commands' arguments unchanged.
    fn job_arguments(&self, arguments: &[String]) -> Vec<String> {
        if arguments[0] != "kill" {
            return arguments.to_vec();
        }
        arguments
            .iter()
            .map(|argument| {
                let job = argument.starts_with('%').then(|| self.find_job(Some(argument)));
                match job {
                    Some(Ok(Some(index))) => format!("-{}", self.jobs[index].group),
                    _ => argument.clone(),
                }
            })
            .collect()
    }

    /// `wait [%n|pid]`: waits for the job named, or for every running job (stopped jobs
    /// are not waited for). Ctrl-C ends the wait with 130.
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
            let settled = |job: &Job| job.finished() || (selected.is_none() && job.stopped());
            if pending.iter().all(|&index| settled(&self.jobs[index])) {
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
        self.report_job_changes();
        code
    }

    /// Takes a job out of the table for `fg` or `bg`.
    fn take_job(&mut self, command: &str, selector: Option<&str>) -> Option<Job> {
        match self.find_job(selector) {
            Ok(Some(index)) => Some(self.jobs.remove(index)),
            Ok(None) => {
                eprintln!("sh: {command}: no current job");
                None
            }
            Err(error) => {
                eprintln!("sh: {command}: {error}");
                None
            }
        }
    }

    /// `fg [%n|pid]`: continues the job if it is stopped and waits for it, feeding it what
    /// is typed when it was started in the foreground.
    fn foreground_builtin(&mut self, selector: Option<&str>) -> i32 {
        let Some(mut job) = self.take_job("fg", selector) else { return 1 };
        println!("{}", job.text);
        job.resume();
        self.run_foreground(job)
    }

    /// `bg [%n|pid]`: continues a stopped job in the background.
    fn background_builtin(&mut self, selector: Option<&str>) -> i32 {
        let Some(mut job) = self.take_job("bg", selector) else { return 1 };
        let code = if job.stopped() {
            job.resume();
            println!("[{}]+ {} &", job.number, job.text);
            self.last_background = Some(job.group);
            0
        } else {
            eprintln!("sh: bg: job {} is not stopped", job.number);
            1
        };
        self.jobs.push(job);
        self.jobs.sort_by_key(|job| job.number);
        code
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
        let mut stages = Vec::new();
        // The read end of the pipe from the previous stage.
        let mut previous: Option<Fd> = input;
        let mut failed = false;
        // Descriptors the current stage's child takes copies of.
        let mut to_close: Vec<Fd> = Vec::new();
        for (index, stage) in pipeline.stages.iter().enumerate() {
            let mut actions: Vec<FileAction> = Vec::new();
            let mut next_read = None;
            // Standard input: a redirection, the previous stage, the shell's feed, or
            // nothing (when the feed could not be made).
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
            let arguments = self.job_arguments(&stage.arguments);
            let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
            let environment = self.environment(&stage.assignments);
            let environment: Vec<&str> = environment.iter().map(String::as_str).collect();
            let attributes =
                SpawnAttributes { process_group: Some(group.unwrap_or(0)), new_session: false };
            match proc::spawn(name, &arguments, &environment, &actions, &attributes) {
                Ok(pid) => {
                    group.get_or_insert(pid);
                    let state = ProcessState::Running;
                    stages.push(Stage { pid, name: String::from(name), state });
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
        if failed || stages.len() < count {
            self.status = 127;
        }
        let number = self.jobs.iter().map(|job| job.number).max().unwrap_or(0) + 1;
        Some(Job {
            number,
            group,
            stages,
            text: String::from(text),
            input: None,
            stop_reported: false,
        })
    }

    fn run_pipeline(&mut self, pipeline: &Pipeline, background: bool, text: &str) {
        // The job reads what is typed through a pipe the shell feeds while the job is in the
        // foreground, unless its first stage reads a file. A background job gets its pipe
        // too, fed only once `fg` brings it forward: until then a read waits, where a
        // terminal would stop the job with SIGTTIN.
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
        job.input = feed.map(|(_, write_end)| write_end);
        if background {
            println!("[{}] {}", job.number, job.group);
            self.last_background = Some(job.group);
            self.jobs.push(job);
            self.status = 0;
            return;
        }
        let incomplete = job.stages.len() < pipeline.stages.len();
        let code = self.run_foreground(job);
        if !incomplete {
            self.status = code;
        }
    }

    /// Waits for `job` in the foreground, feeding its input with the lines typed
    /// meanwhile, until it ends (its `$?`) or stops (it goes back to the job table; `$?`
    /// is 128 + SIGTSTP).
    fn run_foreground(&mut self, mut job: Job) -> i32 {
        loop {
            job.poll();
            if job.finished() {
                break;
            }
            if job.stopped() {
                job.stop_reported = true;
                println!("\n{}", job.describe());
                let code = job.exit_code();
                self.jobs.push(job);
                self.jobs.sort_by_key(|job| job.number);
                return code;
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
                Event::Suspend => {
                    let _ = proc::kill(-job.group, SIGTSTP);
                }
                Event::Line(mut line) => {
                    line.push('\n');
                    feed(&mut job.input, line.as_bytes());
                }
                Event::Flush(line) => feed(&mut job.input, line.as_bytes()),
                Event::EndOfFile => job.close_input(),
            }
        }
        job.close_input();
        job.report_signals();
        job.exit_code()
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
        shell.report_job_changes();
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
