//! Processes, signals and timers against real `smalt` processes: what a
//! golden program cannot show (signals from outside, exit statuses with
//! output on stderr, CPU time while waiting, timers across an image save).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The longest any of these programs may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

fn smalt(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.env_remove("SMALT_GC_STRESS").current_dir(dir).args(args).stdin(Stdio::null());
    command
}

/// Starts smalt with piped output; a watchdog kills it after [`DEADLINE`],
/// so that a test waiting for its output fails instead of hanging.
fn start(dir: &Path, args: &[&str]) -> Child {
    let child = smalt(dir, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("smalt starts");
    let pid = child.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(DEADLINE);
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
    });
    child
}

/// Reads stdout up to and including a line equal to `line`.
fn wait_for_line(child: &mut Child, line: &str) -> BufReader<std::process::ChildStdout> {
    let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut got = String::new();
    loop {
        let mut next = String::new();
        let n = reader.read_line(&mut next).expect("stdout reads");
        assert!(n > 0, "smalt ended before printing {line:?}; it printed {got:?}");
        got.push_str(&next);
        if next.trim_end() == line {
            return reader;
        }
    }
}

/// The next line of stdout, with its newline.
fn next_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("stdout reads");
    line
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
    assert!(status.expect("kill runs").success(), "kill -{name} failed");
}

/// Waits for the child, killing it and failing the test after [`DEADLINE`].
fn finish(mut child: Child, mut rest: impl Read) -> (ExitStatus, String, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("smalt did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    rest.read_to_string(&mut out).expect("stdout reads");
    let mut err = String::new();
    child.stderr.take().expect("stderr is piped").read_to_string(&mut err).expect("stderr reads");
    (status, out, err)
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("temp dir is writable");
}

/// Runs the script `text` (as the file `name`), sends it Ctrl-C once it
/// has printed `line`, and waits for it to end.
fn interrupted_after(name: &str, text: &str, line: &str) -> (ExitStatus, String, String) {
    let dir = TempDir::new().expect("a temp dir");
    write(dir.path(), name, text);
    let mut child = start(dir.path(), &[name]);
    let rest = wait_for_line(&mut child, line);
    signal(&child, "INT");
    finish(child, rest)
}

#[test]
fn ctrl_c_stops_a_script_with_status_130_after_its_ensure_blocks() {
    let (status, out, err) = interrupted_after(
        "loop.st",
        "['running' displayNl. Smalltalk flush. [true] whileTrue: []] ensure: ['ensure ran' displayNl].\n",
        "running",
    );
    assert_eq!(status.code(), Some(130), "stderr: {err}");
    assert_eq!(out, "ensure ran\n");
    assert!(err.starts_with("Interrupted\n"), "{err}");
    assert!(err.contains("[] in UndefinedObject>>DoIt (loop.st:1)"), "the walkback shows where it stopped: {err}");
}

#[test]
fn ctrl_c_stops_every_benchmark_in_the_middle_with_a_walkback() {
    // Each program at its full size, which takes seconds: the signal lands
    // in its work, in recursions without loops (fib) as in loops.
    let dir = TempDir::new().expect("a temp dir");
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/programs");
    let mut names: Vec<_> = fs::read_dir(&programs)
        .expect("benches/programs is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".st"))
        .collect();
    names.sort();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        let source = fs::read_to_string(programs.join(&name)).expect("the program reads");
        write(dir.path(), &name, &format!("'started' displayNl. Smalltalk flush.\n{source}"));
        let mut child = start(dir.path(), &[&name]);
        let rest = wait_for_line(&mut child, "started");
        // Past the class definitions, well before the end (richards, the
        // shortest, runs for about 200 ms after this in a release build).
        std::thread::sleep(Duration::from_millis(50));
        signal(&child, "INT");
        let (status, out, err) = finish(child, rest);
        // 130: stopped, not finished (nbody prints a first energy early).
        assert_eq!(status.code(), Some(130), "{name}: {out} {err}");
        assert!(err.starts_with("Interrupted\n") && err.contains(&format!("({name}:")), "{name}: {err}");
    }
}

#[test]
fn a_user_interrupt_can_be_handled_and_the_program_goes_on() {
    let dir = TempDir::new().expect("a temp dir");
    // Each loop says when it runs, so that the signal lands inside it.
    write(
        dir.path(),
        "handled.st",
        "| r |\n\
         r := ['looping' displayNl. Smalltalk flush. [true] whileTrue: []]\n\
             on: UserInterrupt do: [:e | e return: 'caught ' , e messageText].\n\
         r displayNl.\n\
         r := ['again' displayNl. Smalltalk flush. [true] whileTrue: []]\n\
             on: Error do: [:e | 'an Error handler must not catch it'].\n",
    );
    let mut child = start(dir.path(), &["handled.st"]);
    let mut rest = wait_for_line(&mut child, "looping");
    signal(&child, "INT");
    assert_eq!(next_line(&mut rest), "caught Interrupted\n");
    assert_eq!(next_line(&mut rest), "again\n");
    signal(&child, "INT");
    let (status, out, err) = finish(child, rest);
    assert_eq!(status.code(), Some(130), "stdout: {out} stderr: {err}");
    assert_eq!(out, "");
    assert!(err.starts_with("Interrupted\n"), "{err}");
}

#[test]
fn ctrl_c_reaches_an_inlined_to_do_loop() {
    let dir = TempDir::new().expect("a temp dir");
    // The loop's step and test are one instruction (ForLoop) jumping back
    // to itself; the interrupt is looked for at that backward jump.
    write(
        dir.path(),
        "counting.st",
        "| r n |\n\
         n := 0.\n\
         r := ['counting' displayNl. Smalltalk flush. 1 to: SmallInteger maxVal do: [:i | ]. 'finished']\n\
             on: UserInterrupt do: [:e | e return: 'stopped counting'].\n\
         r displayNl.\n\
         r := [1 to: SmallInteger maxVal do: [:i | n := n + i. i = 1000 ifTrue: ['again' displayNl. Smalltalk flush]]. 'finished']\n\
             on: UserInterrupt do: [:e | e return: 'stopped again'].\n\
         r displayNl.\n\
         (n > 0) printNl.\n",
    );
    let mut child = start(dir.path(), &["counting.st"]);
    let mut rest = wait_for_line(&mut child, "counting");
    // So that the first signal most likely lands in the empty loop, not
    // before it (it is handled either way); the second loop says itself
    // that it is running.
    std::thread::sleep(Duration::from_millis(20));
    signal(&child, "INT");
    assert_eq!(next_line(&mut rest), "stopped counting\n");
    assert_eq!(next_line(&mut rest), "again\n");
    signal(&child, "INT");
    let (status, out, err) = finish(child, rest);
    assert_eq!(status.code(), Some(0), "stdout: {out} stderr: {err}");
    assert_eq!(out, "stopped again\ntrue\n");
}

#[test]
fn ctrl_c_reaches_a_recursion_that_makes_no_loop() {
    // No backward jump: the sends enter their contexts in the loop, which
    // looks for an interrupt only when eden is full and a context is made
    // the general way, at its safe point.
    let (status, out, err) = interrupted_after(
        "recursing.st",
        "Integer extend [ spin [ self < 2 ifTrue: [^1]. ^(self - 1) spin + (self - 2) spin ] ]\n\
         | r |\n\
         r := ['recursing' displayNl. Smalltalk flush. 60 spin]\n\
             on: UserInterrupt do: [:e | e return: 'stopped recursing'].\n\
         r displayNl.\n",
        "recursing",
    );
    assert_eq!(status.code(), Some(0), "stdout: {out} stderr: {err}");
    assert_eq!(out, "stopped recursing\n");
}

#[test]
fn ctrl_c_reaches_a_program_waiting_on_a_delay() {
    let started = Instant::now();
    let (status, out, err) = interrupted_after(
        "sleepy.st",
        "'sleeping' displayNl.\n\
         ([(Delay forSeconds: 20) wait. 'slept'] on: UserInterrupt do: [:e | 'woken']) displayNl.\n",
        "sleeping",
    );
    assert!(status.success(), "{err}");
    assert_eq!(out, "woken\n");
    assert!(started.elapsed() < Duration::from_secs(15), "the Delay was not cut short");
}

#[test]
fn sigterm_runs_the_shut_down_list_and_exits_143() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "server.st",
        "Object subclass: Saver [ shutDown: quitting [ ('shut down, quitting: ' , quitting printString) displayNl ] ]\n\
         Smalltalk addToShutDownList: Saver new.\n\
         'serving' displayNl.\n\
         Smalltalk flush.\n\
         [true] whileTrue: [(Delay forMilliseconds: 5) wait].\n",
    );
    let mut child = start(dir.path(), &["server.st"]);
    let rest = wait_for_line(&mut child, "serving");
    signal(&child, "TERM");
    let (status, out, err) = finish(child, rest);
    assert_eq!(status.code(), Some(143), "stderr: {err}");
    assert_eq!(out, "shut down, quitting: true\n");
}

/// CPU ticks (user + system, in USER_HZ = 1/100 s) a process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc is readable");
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("the command name in parentheses") + 2..].split(' ').collect();
    fields[11].parse::<u64>().expect("a tick count") + fields[12].parse::<u64>().expect("a tick count")
}

#[test]
fn waiting_on_a_delay_sleeps_instead_of_spinning() {
    let dir = TempDir::new().expect("a temp dir");
    write(dir.path(), "wait.st", "'waiting' displayNl.\n(Delay forMilliseconds: 1500) wait.\n'done' displayNl.\n");
    let mut child = start(dir.path(), &["wait.st"]);
    let rest = wait_for_line(&mut child, "waiting");
    std::thread::sleep(Duration::from_millis(100));
    let before = cpu_ticks(child.id());
    std::thread::sleep(Duration::from_millis(1000));
    let used = cpu_ticks(child.id()) - before;
    let (status, out, _) = finish(child, rest);
    assert!(status.success());
    assert_eq!(out, "done\n");
    // Spinning would use about 100 ticks in that second.
    assert!(used <= 20, "smalt used {used}/100 s of CPU in one second of waiting");
}

#[test]
fn an_unhandled_error_in_a_process_ends_that_process_only() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "worker.st",
        "| p |\n\
         p := [[nil foo] ensure: ['worker unwound' displayNl]. 'never' displayNl] fork.\n\
         Processor yield.\n\
         p isTerminated printNl.\n\
         'main goes on' displayNl.\n",
    );
    let mut child = start(dir.path(), &["worker.st"]);
    let out = child.stdout.take().expect("stdout is piped");
    let (status, out, err) = finish(child, out);
    assert!(status.success(), "{err}");
    assert_eq!(out, "worker unwound\ntrue\nmain goes on\n");
    assert!(err.starts_with("MessageNotUnderstood: Instance of UndefinedObject did not understand #foo\n"), "{err}");
    assert!(err.contains("[] in UndefinedObject>>DoIt (worker.st:2)"), "{err}");
}

#[test]
fn a_timer_pending_at_an_image_save_wakes_its_process_after_boot() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "ticker.st",
        "| n |\n\
         n := 0.\n\
         [[n < 4] whileTrue: [(Delay forMilliseconds: 50) wait. n := n + 1. ('tick ' , n printString) displayNl]] fork.\n\
         (Delay forMilliseconds: 120) wait.\n\
         (Smalltalk saveImage: 'ticker.image') ifTrue: ['resumed' displayNl] ifFalse: ['saved' displayNl].\n",
    );
    let mut child = start(dir.path(), &["ticker.st"]);
    let out = child.stdout.take().expect("stdout is piped");
    let (status, first, err) = finish(child, out);
    assert!(status.success(), "{err}");
    assert_eq!(first, "tick 1\ntick 2\nsaved\ntick 3\ntick 4\n");
    let mut child = start(dir.path(), &["ticker.image"]);
    let out = child.stdout.take().expect("stdout is piped");
    let (status, resumed, err) = finish(child, out);
    assert!(status.success(), "{err}");
    assert_eq!(resumed, "resumed\ntick 3\ntick 4\n");
}

#[test]
fn filling_a_capped_heap_signals_out_of_memory_with_room_to_handle_it() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "fill.st",
        "| keep r |\n\
         keep := OrderedCollection new.\n\
         r := [[keep add: (Array new: 100000)] repeat] on: OutOfMemory do: [:e | e messageText].\n\
         (r startsWith: 'the heap is nearly full') printNl.\n\
         (keep size * 800000 > (Smalltalk heapUsage last * 2 // 3)) printNl.\n\
         keep := nil.\n\
         \"The memory is usable again, and the warning comes again when it fills again.\"\n\
         keep := OrderedCollection new.\n\
         r := [[keep add: (Array new: 100000)] repeat] on: OutOfMemory do: [:e | e return: keep size].\n\
         (r > 10) printNl.\n\
         keep := nil.\n\
         (Array new: 1000000) size printNl.\n",
    );
    let mut child = start(dir.path(), &["--max-heap", "64M", "fill.st"]);
    let out = child.stdout.take().expect("stdout is piped");
    let (status, out, err) = finish(child, out);
    assert!(status.success(), "{err}");
    assert_eq!(out, "true\ntrue\ntrue\n1000000\n");
}

#[test]
fn filling_a_capped_heap_with_small_objects_leaves_room_to_handle_out_of_memory() {
    // Objects small enough to be made young and tenured by the scavenger:
    // the full collection that finds the heap nearly full must come while
    // there is still room to run the handler, not when old space is full.
    let dir = TempDir::new().expect("a temp dir");
    for size in [10, 1000] {
        write(
            dir.path(),
            "small.st",
            &format!(
                "| keep r |\n\
                 keep := OrderedCollection new.\n\
                 r := [[keep add: (Array new: {size})] repeat] on: OutOfMemory do: [:e | e return: keep size].\n\
                 keep := nil.\n\
                 (r * {size} * 8 > (30 * 1024 * 1024)) printNl.\n"
            ),
        );
        let mut child = start(dir.path(), &["--max-heap", "64M", "small.st"]);
        let out = child.stdout.take().expect("stdout is piped");
        let (status, out, err) = finish(child, out);
        assert!(status.success(), "Array new: {size}: {err}");
        assert_eq!(out, "true\n", "Array new: {size}");
    }
    // What is kept grows towards 7/8 of the heap with a full collection
    // every 200 arrays, then by big young arrays, so that every scavenge
    // tenures a lot at once. On these small heaps the low-space line is
    // lower than 7/8, so that whichever collection finds it crossed, an
    // explicit one or one after such a scavenge, still leaves room for
    // the handler.
    write(
        dir.path(),
        "near.st",
        "| keep r line |\n\
         keep := OrderedCollection new.\n\
         line := Smalltalk heapUsage last // 8 * 7.\n\
         r := [[Smalltalk garbageCollect < (line - 2000000)] whileTrue: [200 timesRepeat: [keep add: (Array new: 1000)]].\n\
             [keep add: (Array new: 20000)] repeat]\n\
           on: OutOfMemory do: [:e | e return: keep size].\n\
         keep := nil.\n\
         (r > 0) printNl.\n",
    );
    for heap in ["16M", "64M", "128M"] {
        let mut child = start(dir.path(), &["--max-heap", heap, "near.st"]);
        let out = child.stdout.take().expect("stdout is piped");
        let (status, out, err) = finish(child, out);
        assert!(status.success(), "--max-heap {heap}: {err}");
        assert_eq!(out, "true\n", "--max-heap {heap}");
    }
}

#[test]
fn an_unhandled_out_of_memory_ends_the_program_with_a_walkback_not_a_crash() {
    let dir = TempDir::new().expect("a temp dir");
    write(dir.path(), "leak.st", "| keep |\nkeep := OrderedCollection new.\n[keep add: (Array new: 100000)] repeat.\n");
    let mut child = start(dir.path(), &["--max-heap", "48M", "leak.st"]);
    let out = child.stdout.take().expect("stdout is piped");
    let (status, _, err) = finish(child, out);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.starts_with("OutOfMemory: the heap is nearly full"), "{err}");
}

#[test]
fn too_little_address_space_is_reported_not_crashed_on() {
    // 16 GiB of address space or of data: less than the 32 GiB a heap
    // reserves.
    let dir = TempDir::new().expect("a temp dir");
    for limit in ["-v", "-d"] {
        let script = format!("ulimit {limit} 16777216 && exec '{}' -e '3 + 4'", env!("CARGO_BIN_EXE_smalt"));
        let o = Command::new("sh").arg("-c").arg(script).current_dir(dir.path()).output().expect("sh runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "ulimit {limit}: {err}");
        assert!(err.contains("could not reserve") && err.contains(&format!("ulimit {limit}")), "{err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn a_bad_max_heap_is_refused_with_what_was_expected() {
    let dir = TempDir::new().expect("a temp dir");
    for (size, expected) in [
        ("1M", "the heap needs at least 16M"),
        ("33G", "the heap can be at most 32G, not 33G"),
        ("lots", "expected a size such as 512M"),
    ] {
        let o = smalt(dir.path(), &["--max-heap", size, "-e", "3"]).output().expect("smalt runs");
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{err}");
    }
}
