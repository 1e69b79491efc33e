//! The REPL driven through a real pseudo-terminal, as a person would use it:
//! one test (or more) for each point of issue 4 — starting and the banner,
//! multi-line input, errors and walkbacks, workspace variables, Ctrl-C,
//! Ctrl-D, completion, colour, history, the meta-commands, saving and
//! booting an image. Every expectation waits up to a generous timeout, so a
//! loaded machine only makes the tests slower; the one measured time (how
//! soon Ctrl-C stops running code) is checked against a bound far above
//! the 200 ms the issue asks for, and far below how long the code would
//! otherwise run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};

/// How long any one expectation may wait.
const TIMEOUT_MS: u64 = 60_000;
const PROMPT: &str = "st> ";

/// What the line editor writes when it starts reading an input (it turns
/// on bracketed paste). Redrawing an input of several lines repeats the
/// prompt, so only the prompt after this marker is a fresh one.
const READING: &str = "\x1b[?2004h";

/// The longest a Ctrl-C may take to stop running code and show
/// "Interrupted". The issue asks for 200 ms at the next safe point; this
/// bound is 25 times that, because a loaded 2-core CI machine can leave a
/// process unscheduled for seconds, and it still fails the test if the
/// interrupt only lands when something else happens (a collection, the end
/// of the computation — minutes away in these tests).
const INTERRUPT_BOUND: Duration = Duration::from_secs(5);

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
    exp_prompt(&mut p).expect("a first prompt");
    p
}

/// Waits for a fresh prompt (not a redraw of the input being edited), and
/// answers what came before it.
fn exp_prompt(p: &mut PtySession) -> Result<String, rexpect::error::Error> {
    let mut before = p.exp_string(READING)?;
    before.push_str(&p.exp_string(PROMPT)?);
    Ok(before)
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
    exp_prompt(p).unwrap_or_else(|e| panic!("after {line:?}, expected the prompt: {e}"));
}

/// Sends a line whose value is the number `value` and checks it is shown
/// on a line of its own.
fn eval_number(p: &mut PtySession, line: &str, value: i64) {
    p.send_line(line).expect("the line is sent");
    p.exp_regex(&format!("\n{value}\r?\n")).unwrap_or_else(|e| panic!("after {line:?}, expected {value}: {e}"));
    exp_prompt(p).expect("the prompt");
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
    let before = exp_prompt(&mut p).expect("a prompt");
    assert!(before.contains("Smalt "), "a banner: {before:?}");
    assert!(before.contains(":help"), "the banner points at :help: {before:?}");
    let banner = before.lines().next().unwrap_or_default();
    assert!(banner.contains(":help") && banner.len() < 80, "the banner is one short line: {before:?}");
    quit(p);

    for quiet in ["-q", "--quiet"] {
        let mut p = spawn_command(command(&home, &[quiet]), Some(TIMEOUT_MS)).expect("smalt starts");
        let before = exp_prompt(&mut p).expect("a prompt");
        assert!(!before.contains("Smalt"), "{quiet}: no banner: {before:?}");
        quit(p);
    }
}

#[test]
fn reads_a_program_from_stdin_that_is_not_a_terminal() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let home = temp_home("pipe");
    let mut child = command(&home, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("smalt starts");
    // The issue's own example: unary binds tighter, so this prints 4.
    child.stdin.take().expect("piped").write_all(b"3+4 printNl\n").expect("written");
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS);
    let status = loop {
        if let Some(status) = child.try_wait().expect("smalt can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smalt reading a program from a pipe did not end within {TIMEOUT_MS} ms");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    child.stdout.take().expect("piped").read_to_string(&mut out).expect("UTF-8 output");
    let mut err = String::new();
    child.stderr.take().expect("piped").read_to_string(&mut err).expect("UTF-8 output");
    assert!(status.success(), "{status:?}; stderr: {err}");
    assert_eq!(out, "4\n", "no banner or prompt, only the program's output");
    assert_eq!(err, "", "nothing on stderr either");
}

#[test]
fn evaluates_and_keeps_the_last_value_in_it() {
    let home = temp_home("eval");
    let mut p = start(&home);
    eval_number(&mut p, "3 + 4", 7);
    eval_number(&mut p, "6 * 7", 42);
    eval_number(&mut p, "it + 1", 43);
    eval(&mut p, "'a' , 'b'", "'ab'");
    eval(&mut p, "it size", "2");
    // Workspace variables: assigned without a declaration, they last.
    eval_number(&mut p, "total := 10", 10);
    eval_number(&mut p, "total * 2", 20);
    eval_number(&mut p, "x := 3. y := 4", 4);
    eval_number(&mut p, "x * y + total", 22);
    // Floats, immediate and boxed, kept in workspace variables and `it`.
    eval(&mut p, "f := 0.1 + 0.2", "0.30000000000000004");
    eval(&mut p, "it == f", "true");
    eval(&mut p, "big := f * 1.0e300", "3.0000000000000005e299");
    eval(&mut p, "f class == big class", "true");
    eval(&mut p, "big / 1.0e300 = f", "true");
    quit(p);
}

#[test]
fn reads_a_class_definition_over_several_lines() {
    let home = temp_home("multiline");
    let mut p = start(&home);
    p.send_line("Object subclass: Counter [").expect("sent");
    p.send_line("    | n |").expect("sent");
    p.send_line("    Counter class >> startingAt: k [ ^self new setN: k ]").expect("sent");
    p.send_line("    setN: k [ n := k ]").expect("sent");
    p.send_line("    bump [").expect("sent");
    p.send_line("        n := (n ifNil: [0]) + 1.").expect("sent");
    p.send_line("        ^n").expect("sent");
    p.send_line("    ]").expect("sent");
    p.send_line("]").expect("sent");
    let before = exp_prompt(&mut p).expect("the prompt after the definition");
    assert!(!before.contains("expected"), "no syntax error: {before:?}");
    eval_number(&mut p, "c := Counter new. c bump. c bump", 2);
    eval_number(&mut p, "(Counter startingAt: 40) bump; bump", 42);
    quit(p);
}

#[test]
fn continues_input_while_it_is_unfinished() {
    let home = temp_home("continue");
    let mut p = start(&home);
    // An open parenthesis, brace and bracket.
    eval_number(&mut p, "(3 +\n4) * 2", 14);
    eval_number(&mut p, "{1.\n2.\n3} size", 3);
    eval_number(&mut p, "[:x |\nx * 2] value: 21", 42);
    // An unterminated string (the newline is part of it) and comment.
    eval_number(&mut p, "'ab\ncd' size", 5);
    eval_number(&mut p, "\"a comment\nover two lines\" 6 * 7", 42);
    // A trailing keyword and a trailing binary operator.
    eval_number(&mut p, "#(1 2 3) inject: 0 into:\n[:a :b | a + b]", 6);
    eval_number(&mut p, "3 +\n4", 7);
    // What only the parser sees: open temporaries, a cascade's `;`.
    eval_number(&mut p, "| a b\n| a := 3. b := 4. a * b", 12);
    eval(&mut p, "OrderedCollection new add: 1;\nadd: 2; yourself", "an OrderedCollection(1 2)");
    // Complete but wrong input is not waited on: it is an error at once.
    p.send_line("3 ) 4").expect("sent");
    p.exp_string("repl:1:3:").expect("a syntax error, not a continuation");
    exp_prompt(&mut p).expect("the prompt");
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
    exp_prompt(&mut p).expect("back at the prompt");
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn reports_errors_with_a_walkback_and_carries_on() {
    let home = temp_home("errors");
    let mut p = start(&home);
    eval_number(&mut p, "kept := 5", 5);
    eval(&mut p, ":bt", "no error so far in this session");

    // The exception's class and messageText, then a frame per line.
    p.send_line("nil fooBarBaz").expect("sent");
    p.exp_string("MessageNotUnderstood").expect("the exception's class");
    p.exp_string("#fooBarBaz").expect("its messageText");
    p.exp_string("UndefinedObject>>DoIt (repl:1)").expect("the frame of the input, with its line");
    exp_prompt(&mut p).expect("back at the prompt");
    eval(&mut p, "Error signal: 'boom'", "Error: boom");

    // A long walkback is cut after 20 frames, with a count of the rest.
    p.send_line("Object subclass: Down [ down: n [ ^n = 0 ifTrue: [nil foo] ifFalse: [self down: n - 1] ] ]")
        .expect("sent");
    exp_prompt(&mut p).expect("the prompt after the definition");
    p.send_line("Down new down: 50").expect("sent");
    let (walkback, _) = p.exp_regex(r"\.\.\.and \d+ more frames").expect("a cut walkback");
    assert!(walkback.contains("Down>>down: (repl:1)"), "{walkback}");
    let shown = walkback.lines().filter(|l| l.contains(">>")).count();
    assert!((15..=25).contains(&shown), "about 20 frames shown, not {shown}: {walkback}");
    exp_prompt(&mut p).expect("back at the prompt");

    // The world is intact, and `:bt` shows the last walkback again.
    eval_number(&mut p, "kept + 1", 6);
    p.send_line(":bt").expect("sent");
    p.exp_string("MessageNotUnderstood").expect("the last error");
    p.exp_string("Down>>down: (repl:1)").expect("its frames");
    p.exp_regex(r"\.\.\.and \d+ more frames").expect("cut as before");
    exp_prompt(&mut p).expect("the prompt");
    quit(p);
}

/// Sends Ctrl-C to running code and answers what was written up to
/// "Interrupted", checking that it came within [`INTERRUPT_BOUND`].
fn interrupt(p: &mut PtySession) -> String {
    let sent = Instant::now();
    p.send_control('c').expect("Ctrl-C sent");
    let before = p.exp_string("Interrupted").expect("the running code is interrupted");
    let took = sent.elapsed();
    assert!(took < INTERRUPT_BOUND, "Ctrl-C took {took:?} to stop the code");
    before
}

#[test]
fn ctrl_c_interrupts_a_runaway_loop() {
    let home = temp_home("interrupt");
    let mut p = start(&home);
    eval_number(&mut p, "kept := 5", 5);
    p.send_line("[true] whileTrue").expect("sent");
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&mut p);
    p.exp_string("UndefinedObject>>DoIt (repl:1)").expect("a short walkback");
    exp_prompt(&mut p).expect("back at the prompt");
    eval_number(&mut p, "kept + 2", 7);
    eval(&mut p, ":bt", "UndefinedObject>>DoIt");
    // A loop that sends messages in its body stops as well.
    p.send_line("| n | n := 0. [n >= 0] whileTrue: [n := n + 1 \\\\ 1000]").expect("sent");
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&mut p);
    exp_prompt(&mut p).expect("back at the prompt");
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn ctrl_c_interrupts_deep_recursion() {
    let home = temp_home("recursion");
    let mut p = start(&home);
    // 10,000 frames down, then a computation of many minutes made of sends
    // alone: no loop, so only the check at each send can stop it.
    p.send_line(
        "Object subclass: Deep [ down: n [ n = 0 ifTrue: [^self fib: 50]. ^self down: n - 1 ] \
         fib: n [ n < 2 ifTrue: [^n]. ^(self fib: n - 1) + (self fib: n - 2) ] ]",
    )
    .expect("sent");
    exp_prompt(&mut p).expect("the prompt after the definition");
    p.send_line("Deep new down: 10000").expect("sent");
    std::thread::sleep(Duration::from_millis(1000));
    interrupt(&mut p);
    p.exp_string("Deep>>fib:").expect("the walkback shows the running method");
    p.exp_regex(r"\.\.\.and \d+ more frames").expect("a long walkback is cut short");
    exp_prompt(&mut p).expect("back at the prompt");
    eval_number(&mut p, "Deep new fib: 10", 55);
    quit(p);
}

#[test]
fn ctrl_c_at_the_prompt_discards_the_input() {
    let home = temp_home("discard");
    let mut p = start(&home);
    type_text(&mut p, "1000");
    p.send_control('c').expect("Ctrl-C sent");
    exp_prompt(&mut p).expect("a fresh prompt");
    // Had "1000" been kept, this would be 10003 + 4.
    eval_number(&mut p, "3 + 4", 7);
    // Also an unfinished input of several lines goes as a whole.
    type_text(&mut p, "(1000 +\r");
    type_text(&mut p, "2");
    p.send_control('c').expect("Ctrl-C sent");
    exp_prompt(&mut p).expect("a fresh prompt");
    eval_number(&mut p, "3 + 4", 7);
    quit(p);
}

#[test]
fn ctrl_d_on_an_empty_line_exits_with_status_0() {
    let home = temp_home("eof");
    let mut p = start(&home);
    eval_number(&mut p, "3 + 4", 7);
    p.send_control('d').expect("Ctrl-D sent");
    expect_exit(&mut p, 0);
}

#[test]
fn quit_exits_with_status_0() {
    let home = temp_home("quit");
    let mut p = start(&home);
    // Not even after an error.
    eval(&mut p, "nil foo", "MessageNotUnderstood");
    quit(p);
    // `Smalltalk exit:` leaves with its status.
    let mut p = start(&home);
    p.send_line("Smalltalk exit: 3").expect("sent");
    expect_exit(&mut p, 3);
}

/// Types `text`, Tab, `more` and Enter, and waits for `expected` (the
/// value of the completed input) and the next prompt.
fn complete_and_run(p: &mut PtySession, text: &str, more: &str, expected: &str) {
    type_text(p, text);
    type_text(p, "\t");
    p.send_line(more).expect("the rest of the line sent");
    p.exp_string(expected).unwrap_or_else(|e| panic!("{text:?} completed and run shows {expected:?}: {e}"));
    exp_prompt(p).expect("the prompt");
}

#[test]
fn tab_completes_names_selectors_and_commands() {
    let home = temp_home("complete");
    let mut p = start(&home);
    // A class name, and a workspace variable.
    complete_and_run(&mut p, "UndefinedObj", "", "UndefinedObject");
    eval_number(&mut p, "myLongVariable := -5", -5);
    complete_and_run(&mut p, "myLongV", "", "\n-5");
    // Selectors of the receiver's class only: `ev` could be #even or
    // #evaluate... among all selectors, but a SmallInteger understands just
    // #even (had every selector been offered, Tab would add nothing).
    complete_and_run(&mut p, "3 ev", "", "false");
    complete_and_run(&mut p, "3 tim", " [nil]", "\n3");
    // A global's: `Object na` can only be #name.
    complete_and_run(&mut p, "Object na", "", "Object name\r");
    // A workspace variable's: `ab` can only be #abs for an Integer.
    complete_and_run(&mut p, "myLongVariable ab", "", "\n5");
    // Meta-commands.
    complete_and_run(&mut p, ":ima", "", "the built-in world");
    type_text(&mut p, ":hel\t");
    p.exp_string(":help").expect("a meta-command is completed");
    p.send_control('c').expect("Ctrl-C sent");
    exp_prompt(&mut p).expect("a fresh prompt");
    quit(p);
}

/// Whether `text` holds an SGR escape sequence (`ESC [ ... m`): colour.
fn has_colour(text: &str) -> bool {
    text.match_indices("\x1b[")
        .any(|(i, _)| text[i + 2..].chars().find(|c| !(c.is_ascii_digit() || *c == ';')) == Some('m'))
}

#[test]
fn highlights_input_and_matches_brackets_on_a_terminal() {
    let home = temp_home("colour");
    let mut cmd = command(&home, &["-q"]);
    cmd.env_remove("NO_COLOR");
    let mut p = start_with(cmd);
    type_text(&mut p, "(3 + 4) * 2");
    // The number is coloured; the closing parenthesis just typed and its
    // partner are marked.
    p.exp_string("\x1b[36m3").expect("a number in colour");
    p.exp_string("\x1b[1;7m(").expect("the matching bracket marked");
    p.send_line("").expect("Enter sent");
    p.exp_regex("\n14\r?\n").expect("the value");
    exp_prompt(&mut p).expect("the prompt");
    quit(p);
}

#[test]
fn no_color_turns_colour_off() {
    let home = temp_home("nocolour");
    let mut p = start(&home);
    type_text(&mut p, "('abc' , #def) size");
    p.send_line("").expect("Enter sent");
    let (echo, _) = p.exp_regex("\n6\r?\n").expect("the value");
    assert!(!has_colour(&echo), "NO_COLOR is set but the input was coloured: {echo:?}");
    exp_prompt(&mut p).expect("the prompt");
    quit(p);
    assert!(has_colour("x\x1b[1;7m(\x1b[0m"), "the check sees colour where there is some");
}

#[test]
fn history_is_kept_per_user_with_multi_line_entries_whole() {
    let home = temp_home("history");
    let mut p = start(&home);
    eval_number(&mut p, "12 factorial", 479001600);
    eval_number(&mut p, "1 +\n2", 3);
    quit(p);
    let file = home.join("state").join("smalt").join("history");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{} is written: {e}", file.display()));
    assert!(text.contains("12 factorial"), "{text}");
    assert!(text.contains("1 +\\n2"), "the two-line entry is one entry: {text}");

    // A new session recalls the two-line entry whole with the up arrow
    // (pressed twice: `:quit` is the newest entry).
    let mut p = start(&home);
    type_text(&mut p, "\x1b[A");
    type_text(&mut p, "\x1b[A");
    type_text(&mut p, "\r");
    p.exp_regex("\n3\r?\n").expect("the recalled entry runs whole");
    exp_prompt(&mut p).expect("the prompt");
    // Ctrl-R searches the history; Enter runs what it found. (Run as typed,
    // "12 fac" would be an error.)
    type_text(&mut p, "\x12");
    type_text(&mut p, "12 fac");
    p.exp_string("12 factorial").expect("the search finds the entry");
    type_text(&mut p, "\r");
    p.exp_regex("\n479001600\r?\n").expect("the found entry runs");
    exp_prompt(&mut p).expect("the prompt");
    quit(p);
}

#[test]
fn history_falls_back_to_a_file_in_home() {
    let home = temp_home("history-home");
    let mut cmd = command(&home, &["-q"]);
    cmd.env_remove("XDG_STATE_HOME");
    let mut p = start_with(cmd);
    eval_number(&mut p, "6 * 7", 42);
    quit(p);
    let file = home.join(".smalt_history");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{} is written: {e}", file.display()));
    assert!(text.contains("6 * 7"), "{text}");
}

#[test]
fn help_lists_the_meta_commands() {
    let home = temp_home("help");
    let mut p = start(&home);
    p.send_line(":help").expect("sent");
    for command in [":quit", ":load", ":save", ":image", ":time", ":gc", ":source", ":browse", ":bt"] {
        p.exp_string(command).unwrap_or_else(|e| panic!(":help lists {command}: {e}"));
    }
    exp_prompt(&mut p).expect("the prompt");
    quit(p);
}

#[test]
fn meta_commands_show_the_world() {
    let home = temp_home("meta");
    let source = home.join("loaded.st");
    std::fs::write(
        &source,
        "Object subclass: Loaded [\n    | a b |\n    Loaded class >> make [ <category: 'instance creation'> ^self new ]\n    \
         answer [ <category: 'answers'> ^41 + 1 ]\n]\n",
    )
    .expect("writable");
    let mut p = start(&home);
    p.send_line(&format!(":load {}", source.display())).expect("sent");
    exp_prompt(&mut p).expect("the prompt after :load");
    eval_number(&mut p, "Loaded make answer", 42);
    eval(&mut p, ":load /nonexistent/file.st", "cannot read /nonexistent/file.st");

    eval(&mut p, ":source Loaded>>answer", "^41 + 1");
    eval(&mut p, ":source Loaded class>>make", "^self new");
    eval(&mut p, ":source Loaded>>nothingLikeThis", "does not understand");

    p.send_line(":browse Loaded").expect("sent");
    p.exp_string("Object subclass: Loaded [").expect("the definition");
    p.exp_string("| a b |").expect("its instance variables");
    p.exp_string("\"answers\" answer").expect("its selectors by category");
    p.exp_string("\"instance creation\" make").expect("the class side");
    exp_prompt(&mut p).expect("the prompt");

    p.send_line(":gc").expect("sent");
    p.exp_string("heap in use").expect("heap statistics");
    p.exp_string("collections so far").expect("collection counts");
    exp_prompt(&mut p).expect("the prompt");

    p.send_line(":time 100 factorial printString size").expect("sent");
    p.exp_regex("\n158\r?\n").expect("the value");
    // (The pty's bytes are read one char each, so `µ` is two here.)
    p.exp_regex(r"-- [0-9.]+ \S*s\r?\n").expect("how long it took");
    exp_prompt(&mut p).expect("the prompt");

    eval(&mut p, ":nosuchcommand", "no meta-command :nosuchcommand");
    quit(p);
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
    exp_prompt(&mut p).expect("the prompt after the definition");
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

#[test]
fn processes_made_ready_run_after_the_value_is_shown() {
    let home = temp_home("processes");
    let mut p = start(&home);
    p.send_line("q := SharedQueue new. [q nextPut: 6 * 7. 'background ran' displayNl] fork").expect("sent");
    p.exp_string("a Process").expect("the value, the new process, is shown first");
    p.exp_string("background ran").expect("then the process runs");
    exp_prompt(&mut p).expect("the prompt");
    eval_number(&mut p, "q next", 42);
    // Waiting on a Semaphore nobody signals is a deadlock, reported, and the REPL goes on.
    p.send_line("Semaphore new wait").expect("sent");
    p.exp_string("Deadlock: the process 'main' waits on a Semaphore").expect("the deadlock is reported");
    exp_prompt(&mut p).expect("the prompt");
    eval_number(&mut p, "3 + 4", 7);
    // A process waiting on a Delay does not hold the prompt (nor the exit).
    p.send_line("[(Delay forSeconds: 30) wait. 'late' displayNl] fork. 5").expect("sent");
    p.exp_regex("\n5\r?\n").expect("the value");
    exp_prompt(&mut p).expect("the prompt comes back at once");
    quit(p);
}
