//! The interactive REPL: a rustyline loop over a live world. Each input is
//! statements or class definitions; the printString of the last value is
//! shown and kept in the workspace variable `it`. Lines starting with `:`
//! are meta-commands (`:help` lists them). Ctrl-C interrupts running code,
//! or discards the input at the prompt; Ctrl-D on an empty line quits.
//!
//! It uses only the VM's public facade; it never holds an Oop across an
//! evaluation.

mod helper;
mod scan;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;
use smalt_vm::heap::HeapStats;
use smalt_vm::introspect::ClassReport;
use smalt_vm::{Halt, LoadError, Vm};

use helper::ReplHelper;

/// The prompt.
const PROMPT: &str = "st> ";

/// The workspace variable that holds the last value shown.
pub const LAST_RESULT: &str = "it";

/// Meta-commands: name, argument (in brackets when it may be left out),
/// what it does.
pub const COMMANDS: [(&str, &str, &str); 10] = [
    ("help", "", "list the meta-commands"),
    ("quit", "", "leave the REPL (so does Ctrl-D on an empty line)"),
    ("load", "FILE", "file in a source file"),
    ("save", "[PATH]", "save the world, workspace variables included (default: the running image's file)"),
    ("image", "", "show which image is running and how big it is"),
    ("time", "EXPR", "evaluate EXPR and show how long it took"),
    ("gc", "", "collect all garbage now and show heap statistics"),
    ("source", "Class>>selector", "show a method's source (`Class class>>sel` for the class side)"),
    ("browse", "Class", "show a class's definition and selectors by category"),
    ("bt", "", "show the walkback of the last error again"),
];

/// How the REPL starts.
#[derive(Debug, Clone, Default)]
pub struct ReplOptions {
    /// No banner.
    pub quiet: bool,
    /// The image file the world was booted from; `None` for the built-in
    /// world.
    pub image: Option<PathBuf>,
}

/// What the loop does after an input.
enum Flow {
    Continue,
    Quit(u8),
}

struct Session {
    vm: Rc<RefCell<Vm>>,
    interrupt: Arc<AtomicBool>,
    /// Set on SIGTERM.
    terminated: Arc<AtomicBool>,
    /// What the VM wrote to stderr during the last evaluation that failed.
    last_walkback: Option<String>,
    /// The image file the world was booted from (`None`: the built-in world).
    booted: Option<PathBuf>,
    /// Where `:save` without a path writes: the booted file, or the file
    /// of the last `:save`, which then is the running image (as in Pharo's
    /// "save as").
    image: Option<PathBuf>,
}

/// Runs the REPL on `vm` until `:quit`, Ctrl-D or `Smalltalk exit:`.
pub fn run(mut vm: Vm, options: ReplOptions) -> ExitCode {
    // Background processes run after each evaluation while they are
    // ready; one that waits on a Delay goes on at a later evaluation.
    vm.drain_waits_for_timers = false;
    let interrupt = vm.interrupt_handle();
    let terminated = vm.terminate_handle();
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal();
    let vm = Rc::new(RefCell::new(vm));
    let mut editor = match make_editor(Rc::clone(&vm), colour) {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("smalt: cannot start the line editor: {e}");
            return ExitCode::from(1);
        }
    };
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    if !options.quiet {
        println!("Smalt {} — :help lists the commands, Ctrl-D quits", env!("CARGO_PKG_VERSION"));
    }
    let image = options.image.clone();
    let mut session = Session { vm, interrupt, terminated, last_walkback: None, booted: options.image, image };
    loop {
        let input = match editor.readline(PROMPT) {
            Ok(input) => input,
            // Ctrl-C at the prompt: the input is dropped.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("smalt: cannot read the terminal: {e}");
                return ExitCode::from(1);
            }
        };
        if input.trim().is_empty() {
            continue;
        }
        if editor.add_history_entry(input.as_str()).unwrap_or(false) {
            if let Some(path) = &history {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = editor.append_history(path);
            }
        }
        match session.handle(&input) {
            Flow::Continue => {}
            Flow::Quit(status) => {
                if session.terminated.load(Ordering::SeqCst) {
                    // SIGTERM: the shut-down list runs before the REPL ends.
                    if let Err(e) = session.vm.borrow_mut().shut_down() {
                        eprintln!("smalt: the shut-down list failed: {e}");
                    }
                }
                return ExitCode::from(status);
            }
        }
    }
}

fn make_editor(vm: Rc<RefCell<Vm>>, colour: bool) -> rustyline::Result<Editor<ReplHelper, FileHistory>> {
    let config = Config::builder()
        .max_history_size(10_000)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .color_mode(if colour { ColorMode::Enabled } else { ColorMode::Disabled })
        // A pasted block of lines arrives as one input, not line by line.
        // Each prompt then starts with the escape that turns it on, which
        // tells a fresh prompt from a redraw (the pty tests rely on this).
        .bracketed_paste(true)
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(vm, colour)));
    Ok(editor)
}

/// Where the history lives: `$XDG_STATE_HOME/smalt/history`, else
/// `~/.local/state/smalt/history` if `~/.local/state` exists, else
/// `~/.smalt_history`.
fn history_path() -> Option<PathBuf> {
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(state).join("smalt").join("history"));
    }
    let home = PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?);
    let state = home.join(".local").join("state");
    if state.is_dir() {
        Some(state.join("smalt").join("history"))
    } else {
        Some(home.join(".smalt_history"))
    }
}

impl Session {
    fn handle(&mut self, input: &str) -> Flow {
        let trimmed = input.trim();
        match trimmed.strip_prefix(':') {
            Some(command) => self.command(command),
            None => self.evaluate(input, false),
        }
    }

    /// Runs REPL input and shows the last value; errors have been reported
    /// (by the VM for Smalltalk errors and interrupts, here for the rest).
    fn evaluate(&mut self, source: &str, timed: bool) -> Flow {
        self.interrupt.store(false, Ordering::SeqCst);
        let mut vm = self.vm.borrow_mut();
        let started = Instant::now();
        vm.start_stderr_copy();
        let outcome = (|| -> Result<Option<String>, LoadError> {
            let Some(value) = vm.run_source(source, "repl")? else {
                return Ok(None);
            };
            vm.set_workspace_variable(LAST_RESULT, value).map_err(Halt::from)?;
            Ok(Some(vm.print_string(value)?))
        })();
        // What the evaluation made ready runs now, after its value is shown.
        let outcome = outcome.and_then(|shown| {
            if let Some(text) = &shown {
                vm.write_stdout(format!("{text}\n").as_bytes());
            }
            vm.run_other_processes().map(|()| None::<String>).map_err(LoadError::from)
        });
        let stderr = vm.take_stderr_copy();
        let elapsed = started.elapsed();
        vm.flush_stdout();
        let flow = match outcome {
            Ok(shown) => {
                if let Some(text) = shown {
                    vm.write_stdout(format!("{text}\n").as_bytes());
                }
                Flow::Continue
            }
            Err(e) => {
                if matches!(e, LoadError::Halt(Halt::Unhandled | Halt::Interrupted | Halt::Deadlock)) {
                    self.last_walkback = Some(stderr);
                }
                report(e)
            }
        };
        if timed {
            vm.write_stdout(format!("-- {}\n", describe_duration(elapsed)).as_bytes());
        }
        vm.flush_stdout();
        flow
    }

    fn command(&mut self, line: &str) -> Flow {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (line, ""),
        };
        let known = COMMANDS.iter().filter(|(c, _, _)| c.starts_with(name)).collect::<Vec<_>>();
        let name = match known.as_slice() {
            _ if name == "q" || name == "exit" => "quit",
            [one] => one.0,
            _ if COMMANDS.iter().any(|(c, _, _)| *c == name) => name,
            [] => {
                eprintln!("smalt: there is no meta-command :{name}; :help lists them");
                return Flow::Continue;
            }
            many => {
                let names: Vec<String> = many.iter().map(|(c, _, _)| format!(":{c}")).collect();
                eprintln!("smalt: :{name} could be {}; type more of it", names.join(" or "));
                return Flow::Continue;
            }
        };
        let needs_arg = COMMANDS.iter().any(|(c, a, _)| *c == name && !a.is_empty() && !a.starts_with('['));
        if needs_arg && arg.is_empty() {
            let usage = COMMANDS.iter().find(|(c, _, _)| *c == name).map_or("", |(_, a, _)| a);
            eprintln!("smalt: :{name} needs {usage}, e.g. {}", example(name));
            return Flow::Continue;
        }
        match name {
            "help" => print!("{}", help_text()),
            "quit" => return Flow::Quit(0),
            "load" => return self.load(arg),
            "save" => self.save(arg),
            "image" => self.show_image(),
            "time" => return self.evaluate(arg, true),
            "gc" => {
                let (before, after) = self.vm.borrow_mut().collect_all_garbage();
                print!("{}", describe_gc(&before, &after));
            }
            "source" => {
                let Some((class_name, selector)) = arg.split_once(">>") else {
                    eprintln!("smalt: :source needs Class>>selector, e.g. {}", example("source"));
                    return Flow::Continue;
                };
                match self.vm.borrow().method_source(class_name, selector) {
                    Ok(text) => println!("{}", text.trim_end()),
                    Err(message) => eprintln!("smalt: {message}"),
                }
            }
            "browse" => match self.vm.borrow().class_report(arg) {
                Ok(report) => print!("{}", describe_class(&report)),
                Err(message) => eprintln!("smalt: {message}"),
            },
            "bt" => match &self.last_walkback {
                Some(text) if !text.trim().is_empty() => eprint!("{text}"),
                _ => println!("no error so far in this session"),
            },
            _ => {}
        }
        let _ = std::io::stdout().flush();
        Flow::Continue
    }

    fn load(&mut self, arg: &str) -> Flow {
        let path = expand_home(arg);
        let name = path.display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("smalt: cannot read {name}: {e}");
                return Flow::Continue;
            }
        };
        self.interrupt.store(false, Ordering::SeqCst);
        let mut vm = self.vm.borrow_mut();
        vm.start_stderr_copy();
        let outcome = vm.file_in(&source, &name);
        let stderr = vm.take_stderr_copy();
        vm.flush_stdout();
        match outcome {
            Ok(()) => Flow::Continue,
            Err(e) => {
                if matches!(e, LoadError::Halt(Halt::Unhandled | Halt::Interrupted | Halt::Deadlock)) {
                    self.last_walkback = Some(stderr);
                }
                report(e)
            }
        }
    }
}

impl Session {
    /// Saves the world at top level, so that booting the file with nothing
    /// else to run opens the REPL on it again.
    fn save(&mut self, arg: &str) {
        let path = match (arg.is_empty(), &self.image) {
            (false, _) => expand_home(arg),
            (true, Some(path)) => path.clone(),
            (true, None) => {
                eprintln!(
                    "smalt: :save needs PATH: the running world is the built-in one, which has no file to save \
                     over; e.g. {}",
                    example("save")
                );
                return;
            }
        };
        match self.vm.borrow_mut().save_image(&path, false) {
            Ok(()) => {
                println!("saved the world to {} ({})", path.display(), describe_file_size(&path));
                self.image = Some(path);
            }
            Err(e) => eprintln!("smalt: {e}"),
        }
    }

    fn show_image(&self) {
        let describe = |image: &Option<PathBuf>| match image {
            Some(path) => format!("{} ({})", path.display(), describe_file_size(path)),
            None => format!(
                "the built-in world ({}, inside the smalt executable)",
                describe_bytes(crate::BUILT_IN_WORLD.len())
            ),
        };
        println!("image: {}", describe(&self.image));
        if self.image != self.booted {
            println!("booted from: {}", describe(&self.booted));
        }
        let stats = self.vm.borrow().heap_stats();
        println!(
            "heap in use: {} (old space {}, nursery {})",
            describe_bytes(stats.old_used + stats.eden_used + stats.survivor_used),
            describe_bytes(stats.old_used),
            describe_bytes(stats.eden_used + stats.survivor_used)
        );
    }
}

/// The size of a file, or why it cannot be told.
fn describe_file_size(path: &std::path::Path) -> String {
    match std::fs::metadata(path) {
        Ok(meta) => describe_bytes(meta.len() as usize),
        Err(e) => format!("size unknown: {e}"),
    }
}

/// Reports what stopped an evaluation; the session goes on unless the code
/// asked to exit.
fn report(e: LoadError) -> Flow {
    match e {
        // The VM has written the exception (or "Interrupted") and a walkback.
        LoadError::Halt(Halt::Unhandled | Halt::Interrupted | Halt::Deadlock) => Flow::Continue,
        LoadError::Halt(Halt::Exit(status)) => Flow::Quit(status.clamp(0, 255) as u8),
        LoadError::Halt(Halt::Terminated) => Flow::Quit(crate::signals::EXIT_TERMINATED),
        LoadError::Halt(Halt::Vm(e)) => {
            eprintln!("smalt: {e}");
            Flow::Continue
        }
        other => {
            eprintln!("{other}");
            Flow::Continue
        }
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn example(command: &str) -> &'static str {
    match command {
        "load" => ":load examples/dog.st",
        "save" => ":save work.image",
        "time" => ":time 1000 factorial",
        "source" => ":source Integer>>factorial",
        "browse" => ":browse OrderedCollection",
        _ => "",
    }
}

fn help_text() -> String {
    let mut text = String::from(
        "Type statements or class definitions; the value of the last statement is shown\n\
         and kept in the variable `it`. Assigning to a new name makes a workspace variable.\n\
         Input goes on over several lines while brackets, strings or comments are open.\n\
         Tab completes names and selectors; Ctrl-R searches the history; Ctrl-C interrupts\n\
         running code (at the prompt it drops the input); Ctrl-D quits.\n\n",
    );
    for (name, arg, what) in COMMANDS {
        let usage = if arg.is_empty() { format!(":{name}") } else { format!(":{name} {arg}") };
        text.push_str(&format!("  {usage:<26} {what}\n"));
    }
    text
}

fn describe_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

fn describe_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn describe_gc(before: &HeapStats, after: &HeapStats) -> String {
    let in_use = |s: &HeapStats| s.old_used + s.eden_used + s.survivor_used;
    format!(
        "heap in use: {} before, {} after (old space {}, nursery {})\n\
         collections so far: {} scavenges, {} full; {} tenured\n\
         time collecting: {} scavenging, {} in full collections\n",
        describe_bytes(in_use(before)),
        describe_bytes(in_use(after)),
        describe_bytes(after.old_used),
        describe_bytes(after.eden_used + after.survivor_used),
        after.scavenges,
        after.full_collections,
        describe_bytes(after.bytes_tenured as usize),
        describe_duration(after.scavenge_time),
        describe_duration(after.full_collection_time),
    )
}

fn describe_class(r: &ClassReport) -> String {
    let mut text = format!("{} subclass: {} [\n", r.superclass, r.name);
    if !r.instance_variables.is_empty() {
        text.push_str(&format!("    | {} |\n", r.instance_variables.join(" ")));
    }
    if let Some(category) = &r.category {
        text.push_str(&format!("    <category: '{category}'>\n"));
    }
    if let Some(comment) = &r.comment {
        text.push_str(&format!("    <comment: '{}'>\n", comment.replace('\'', "''")));
    }
    if !r.class_variables.is_empty() {
        text.push_str(&format!("    \"class variables: {}\"\n", r.class_variables.join(" ")));
    }
    if !r.class_instance_variables.is_empty() {
        text.push_str(&format!("    {} class [ | {} | ]\n", r.name, r.class_instance_variables.join(" ")));
    }
    for (category, selectors) in &r.instance_side {
        text.push_str(&format!("    \"{category}\" {}\n", selectors.join(" ")));
    }
    if !r.class_side.is_empty() {
        text.push_str(&format!("    {} class [\n", r.name));
        for (category, selectors) in &r.class_side {
            text.push_str(&format!("        \"{category}\" {}\n", selectors.join(" ")));
        }
        text.push_str("    ]\n");
    }
    text.push_str("]\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_command() {
        let help = help_text();
        for (name, _, _) in COMMANDS {
            assert!(help.contains(&format!(":{name}")), "{name}");
        }
    }

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(describe_duration(Duration::from_millis(1500)), "1.500 s");
        assert_eq!(describe_duration(Duration::from_micros(2500)), "2.500 ms");
        assert_eq!(describe_bytes(512), "512 B");
        assert_eq!(describe_bytes(3 << 20), "3.0 MiB");
    }
}
