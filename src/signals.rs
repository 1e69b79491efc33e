//! The signals Smalt answers: SIGINT (Ctrl-C) raises a UserInterrupt in the
//! running process at its next safe point; SIGTERM stops the program at its
//! next safe point, runs the image's shut-down list and exits with 143.
//!
//! A thread receives the signals and sets the VM's flags, which the
//! interpreter reads at safe points (and while it sleeps for a timer).
//! When the code does not answer (a primitive that never reaches a safe
//! point, a read that blocks), the third unanswered Ctrl-C quits at once,
//! as does a second SIGTERM or the first after [`TERMINATE_GRACE`].

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use smalt_vm::Vm;

/// Unanswered Ctrl-Cs after which Smalt quits without waiting for the code.
pub const UNANSWERED_INTERRUPTS_TO_QUIT: u32 = 3;

/// How long the shut-down list may take after SIGTERM before Smalt exits
/// without it.
pub const TERMINATE_GRACE: Duration = Duration::from_secs(10);

/// The exit status after SIGINT that nothing handled (128 + 2).
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit status after SIGTERM (128 + 15).
pub const EXIT_TERMINATED: u8 = 143;

/// Starts answering SIGINT and SIGTERM for this VM.
pub fn install(vm: &Vm) {
    let interrupt = vm.interrupt_handle();
    let terminate = vm.terminate_handle();
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("smalt: Ctrl-C and SIGTERM will not reach running code: {e}");
            return;
        }
    };
    std::thread::spawn(move || {
        let mut unanswered = 0;
        for signal in signals.forever() {
            if signal == SIGTERM {
                if terminate.swap(true, Ordering::SeqCst) {
                    std::process::exit(EXIT_TERMINATED.into());
                }
                interrupt.store(true, Ordering::SeqCst);
                let terminate = Arc::clone(&terminate);
                std::thread::spawn(move || {
                    std::thread::sleep(TERMINATE_GRACE);
                    if terminate.load(Ordering::SeqCst) {
                        let _ = writeln!(std::io::stderr(), "\nsmalt: the shut-down list did not finish; quitting");
                        std::process::exit(EXIT_TERMINATED.into());
                    }
                });
                continue;
            }
            if interrupt.swap(true, Ordering::SeqCst) {
                unanswered += 1;
                if unanswered + 1 >= UNANSWERED_INTERRUPTS_TO_QUIT {
                    let _ = writeln!(std::io::stderr(), "\nsmalt: the running code does not answer Ctrl-C; quitting");
                    std::process::exit(EXIT_INTERRUPTED.into());
                }
            } else {
                unanswered = 0;
            }
        }
    });
}
