//! The REPL driven through a real pseudo-terminal, as a person would use it:
//! evaluation, multi-line input, errors, Ctrl-C, Ctrl-D, completion,
//! history and the meta-commands. Timeouts are generous and nothing asserts
//! how long anything took.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};

/// How long any one expectation may wait.
const TIMEOUT_MS: u64 = 60_000;
const PROMPT: &str = "st> ";

/// A fresh directory to be HOME (and hold the XDG state directory).
fn temp_home(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("smalt-repl-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temp directory is writable");
    dir
}

fn command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smalt"));
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("SMALT_GC_STRESS");
    cmd
}

/// Starts `smalt -q` on a terminal and waits for its first prompt.
fn start(home: &Path) -> PtySession {
    start_with(command(home, &["-q"]))
}

/// Starts a smalt command on a terminal and waits for its first prompt.
fn start_with(cmd: Command) -> PtySession {
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("smalt starts on a pty");
    p.exp_string(PROMPT).expect("a first prompt");
    p
}

/// Types text without Enter.
fn type_text(p: &mut PtySession, text: &str) {
    p.send(text).expect("sent");
    p.flush().expect("flushed");
}

/// Sends one line and waits for `expected` and then the next prompt.
fn eval(p: &mut PtySession, line: &str, expected: &str) {
    p.send_line(line).expect("the line is sent");
    p.exp_string(expected).unwrap_or_else(|e| panic!("after {line:?}, expected {expected:?}: {e}"));
    p.exp_string(PROMPT).unwrap_or_else(|e| panic!("after {line:?}, expected the prompt: {e}"));
}

/// Sends a line whose value is the number `value` and checks it is shown
/// on a line of its own.
fn eval_number(p: &mut PtySession, line: &str, value: i64) {
    p.send_line(line).expect("the line is sent");
    p.exp_regex(&format!("\n{value}\r?\n")).unwrap_or_else(|e| panic!("after {line:?}, expected {value}: {e}"));
    p.exp_string(PROMPT).expect("the prompt");
}

fn quit(mut p: PtySession) {
    p.send_line(":quit").expect("the line is sent");
    expect_exit(&mut p, 0);
}

fn expect_exit(p: &mut PtySession, status: i32) {
    match p.process().wait().expect("smalt ends") {
        WaitStatus::Exited(_, code) => assert_eq!(code, status),
        other => panic!("smalt ended with {other:?}, expected exit status {status}"),
    }
}

#[test]
fn shows_a_banner_unless_quiet() {
    let home = temp_home("banner");
    let mut p = spawn_command(command(&home, &[]), Some(TIMEOUT_MS)).expect("smalt starts");
    p.exp_string("Smalt ").expect("a banner");
    p.exp_string(":help").expect("the banner points at :help");
    p.exp_string(PROMPT).expect("a prompt");
    quit(p);
}

#[test]
fn evaluates_and_keeps_the_last_value_in_it() {
    let home = temp_home("eval");
    let mut p = start(&home);
    eval_number(&mut p, "3 + 4", 7);
    eval_number(&mut p, "6 * 7", 42);
    eval_number(&mut p, "it + 1", 43);
    eval_number(&mut p, "total := 10", 10);
    eval_number(&mut p, "total * 2", 20);
    quit(p);
}

#[test]
fn reads_a_class_definition_over_several_lines() {
    let home = temp_home("multiline");
    let mut p = start(&home);
    p.send_line("Object subclass: Counter [").expect("sent");
    p.send_line("    | n |").expect("sent");
    p.send_line("    bump [ n := (n ifNil: [0]) + 1. ^n ]").expect("sent");
    p.send_line("]").expect("sent");
    p.exp_string(PROMPT).expect("the prompt after the definition");
    eval_number(&mut p, "c := Counter new. c bump. c bump", 2);
    eval_number(&mut p, "3 +\n4", 7);
    quit(p);
}

#[test]
fn shows_syntax_errors_with_the_line_and_a_caret() {
    let home = temp_home("syntax");
    let mut p = start(&home);
    p.send_line("3 ) 4").expect("sent");
    p.exp_string("repl:1:3:").expect("where the error is");
    p.exp_string("    3 ) 4").expect("the input line");
    p.exp_string("      ^").expect("a caret under the spot");
    p.exp_string(PROMPT).expect("back at the prompt");
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn reports_errors_with_a_walkback_and_carries_on() {
    let home = temp_home("errors");
    let mut p = start(&home);
    eval(&mut p, "nil fooBarBaz", "UndefinedObject");
    eval_number(&mut p, "3 + 4", 7);
    // `:bt` shows the walkback of the last error again.
    eval(&mut p, ":bt", "UndefinedObject");
    quit(p);
}

#[test]
fn ctrl_c_interrupts_a_runaway_loop() {
    let home = temp_home("interrupt");
    let mut p = start(&home);
    p.send_line("[true] whileTrue").expect("sent");
    std::thread::sleep(std::time::Duration::from_millis(500));
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string("Interrupted").expect("the loop is interrupted");
    p.exp_string(PROMPT).expect("back at the prompt");
    eval_number(&mut p, "3 + 4", 7);
    eval(&mut p, ":bt", "UndefinedObject>>DoIt");
    quit(p);
}

#[test]
fn ctrl_c_interrupts_deep_recursion() {
    let home = temp_home("recursion");
    let mut p = start(&home);
    p.send_line("Object subclass: Deep [ down: n [ n = 0 ifTrue: [[true] whileTrue]. ^self down: n - 1 ] ]")
        .expect("sent");
    p.exp_string(PROMPT).expect("the prompt after the definition");
    p.send_line("Deep new down: 100000").expect("sent");
    std::thread::sleep(std::time::Duration::from_millis(1000));
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string("Interrupted").expect("the recursion is interrupted");
    p.exp_string("more frames").expect("a long walkback is cut short");
    p.exp_string(PROMPT).expect("back at the prompt");
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn ctrl_c_at_the_prompt_discards_the_input() {
    let home = temp_home("discard");
    let mut p = start(&home);
    type_text(&mut p, "1000");
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string(PROMPT).expect("a fresh prompt");
    // Had "1000" been kept, this would be 10003 + 4.
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn ctrl_d_on_an_empty_line_exits_with_status_0() {
    let home = temp_home("eof");
    let mut p = start(&home);
    p.send_control('d').expect("Ctrl-D sent");
    expect_exit(&mut p, 0);
}

#[test]
fn quit_exits_with_status_0() {
    let home = temp_home("quit");
    let p = start(&home);
    quit(p);
}

#[test]
fn tab_completes_names_selectors_and_commands() {
    let home = temp_home("complete");
    let mut p = start(&home);
    type_text(&mut p, "UndefinedObj\t");
    p.exp_string("UndefinedObject").expect("a class name is completed");
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string(PROMPT).expect("a fresh prompt");
    eval_number(&mut p, "myLongVariable := 5", 5);
    type_text(&mut p, "myLongV\t");
    p.exp_string("myLongVariable").expect("a workspace variable is completed");
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string(PROMPT).expect("a fresh prompt");
    type_text(&mut p, "5 factori\t");
    p.exp_string("factorial").expect("a selector of a literal's class is completed");
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string(PROMPT).expect("a fresh prompt");
    type_text(&mut p, ":hel\t");
    p.exp_string(":help").expect("a meta-command is completed");
    p.send_control('c').expect("Ctrl-C sent");
    p.exp_string(PROMPT).expect("a fresh prompt");
    quit(p);
}

#[test]
fn help_lists_the_meta_commands() {
    let home = temp_home("help");
    let mut p = start(&home);
    p.send_line(":help").expect("sent");
    for command in [":quit", ":load", ":save", ":image", ":time", ":gc", ":source", ":browse", ":bt"] {
        p.exp_string(command).unwrap_or_else(|e| panic!(":help lists {command}: {e}"));
    }
    p.exp_string(PROMPT).expect("the prompt");
    quit(p);
}

#[test]
fn meta_commands_show_the_world() {
    let home = temp_home("meta");
    let source = home.join("loaded.st");
    std::fs::write(&source, "Object subclass: Loaded [\n    answer [ <category: 'answers'> ^41 + 1 ]\n]\n")
        .expect("writable");
    let mut p = start(&home);
    p.send_line(&format!(":load {}", source.display())).expect("sent");
    p.exp_string(PROMPT).expect("the prompt after :load");
    eval_number(&mut p, "Loaded new answer", 42);
    eval(&mut p, ":source Loaded>>answer", "^41 + 1");
    eval(&mut p, ":browse Loaded", "Object subclass: Loaded [");
    eval(&mut p, ":gc", "heap in use");
    eval(&mut p, ":time 3 + 4", "-- ");
    quit(p);
}

#[test]
fn history_is_kept_per_user_with_multi_line_entries_whole() {
    let home = temp_home("history");
    let mut p = start(&home);
    eval_number(&mut p, "3 + 4", 7);
    eval_number(&mut p, "1 +\n2", 3);
    quit(p);
    let file = home.join("state").join("smalt").join("history");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{} is written: {e}", file.display()));
    assert!(text.contains("3 + 4"), "{text}");
    assert!(text.contains("1 +\\n2"), "the two-line entry is one entry: {text}");

    // A new session recalls the two-line entry whole with the up arrow
    // (pressed twice: `:quit` is the newest entry).
    let mut p = start(&home);
    type_text(&mut p, "\x1b[A");
    type_text(&mut p, "\x1b[A");
    type_text(&mut p, "\r");
    p.exp_regex("\n3\r?\n").expect("the recalled entry runs whole");
    p.exp_string(PROMPT).expect("the prompt");
    quit(p);
}

#[test]
fn reads_a_program_from_stdin_that_is_not_a_terminal() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let home = temp_home("pipe");
    let mut child = command(&home, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("smalt starts");
    child.stdin.take().expect("piped").write_all(b"(3 + 4) printNl.\n").expect("written");
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(TIMEOUT_MS);
    let status = loop {
        if let Some(status) = child.try_wait().expect("smalt can be waited for") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smalt reading a program from a pipe did not end within {TIMEOUT_MS} ms");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut out = String::new();
    child.stdout.take().expect("piped").read_to_string(&mut out).expect("UTF-8 output");
    assert!(status.success(), "{status:?}");
    assert_eq!(out, "7\n", "no banner or prompt, only the program's output");
}

#[test]
fn save_writes_an_image_that_boots_into_the_repl_with_the_workspace() {
    let home = temp_home("save");
    let image = home.join("work.image");
    let shown = image.display().to_string();
    let mut p = start(&home);
    eval(&mut p, ":image", "the built-in world");
    // The built-in world has no file: a path is needed.
    eval(&mut p, ":save", ":save needs PATH");
    p.send_line("Object subclass: Kept [ answer [ ^'kept' ] ]").expect("sent");
    p.exp_string(PROMPT).expect("the prompt after the definition");
    eval_number(&mut p, "total := 6 * 7", 42);
    eval(&mut p, &format!(":save {shown}"), &format!("saved the world to {shown}"));
    // From now on the running image is that file.
    eval(&mut p, ":image", &format!("image: {shown}"));
    quit(p);
    assert!(image.is_file(), "{shown} is written");

    // Booted with -i and nothing to run, the image opens the REPL again,
    // with its classes, its workspace variables and `it`.
    let mut p = start_with(command(&home, &["-q", "-i", &shown]));
    eval(&mut p, ":image", &format!("image: {shown}"));
    eval_number(&mut p, "it + 1", 43);
    eval_number(&mut p, "total * 2", 84);
    eval(&mut p, "Kept new answer", "'kept'");
    // `:save` alone saves over the running image.
    eval_number(&mut p, "more := 5", 5);
    eval(&mut p, ":save", &format!("saved the world to {shown}"));
    quit(p);

    // The image as the file argument boots the same way.
    let mut p = start_with(command(&home, &["-q", &shown]));
    eval_number(&mut p, "more + total", 47);
    quit(p);
}
