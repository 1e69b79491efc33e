//! The local time zone, seen from a real `smalt` process run with `TZ` set.
//!
//! POSIX rules (`IST-5:30`, `EST5EDT,M3.2.0,M11.1.0`) need no tzdata, so
//! those checks hold on any machine; the checks of IANA names run only where
//! the system's tzdata is installed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `source` with `TZ` set to `tz` (or unset), answers its stdout.
fn run_with_tz(tz: Option<&str>, source: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.arg("-e").arg(source).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    match tz {
        Some(tz) => command.env("TZ", tz),
        None => command.env_remove("TZ"),
    };
    let mut child = command.spawn().expect("smalt runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("smalt -e {source:?} with TZ={tz:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("output");
    assert!(
        output.status.success(),
        "smalt -e {source:?} with TZ={tz:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The printString of `expression`, as `-e` shows it, without the quotes of a String.
fn eval(tz: Option<&str>, expression: &str) -> String {
    let shown = run_with_tz(tz, &format!("({expression}) displayString"));
    shown.trim_end().trim_matches('\'').to_string()
}

fn has_tzdata() -> bool {
    Path::new("/usr/share/zoneinfo/America/New_York").exists()
}

#[test]
fn a_fixed_posix_offset_reaches_now_and_the_constructors() {
    let tz = Some("IST-5:30");
    assert_eq!(eval(tz, "DateAndTime now offset"), "0:05:30:00");
    assert_eq!(eval(tz, "DateAndTime localOffset"), "0:05:30:00");
    assert_eq!(eval(tz, "TimeZone local abbreviation"), "IST");
    assert_eq!(
        eval(tz, "DateAndTime year: 2024 month: 2 day: 3 hour: 10 minute: 25 second: 43"),
        "2024-02-03T10:25:43+05:30"
    );
    assert_eq!(
        eval(tz, "(DateAndTime year: 2024 month: 2 day: 3 hour: 1 minute: 0 second: 0) asUTC"),
        "2024-02-02T19:30:00+00:00"
    );
    assert_eq!(eval(tz, "(DateAndTime fromUnixTime: 0) asLocal"), "1970-01-01T05:30:00+05:30");
    assert_eq!(eval(tz, "(Date year: 2024 month: 2 day: 3) asDateAndTime"), "2024-02-03T00:00:00+05:30");
    // Date today and Time now read the local clock: they agree with now.
    assert_eq!(eval(tz, "[:t | t asDate = Date today] value: DateAndTime now"), "true");
    assert_eq!(eval(tz, "(Time now asSeconds - DateAndTime now asTime asSeconds) abs < 5"), "true");
}

#[test]
fn a_posix_rule_with_summer_time_changes_offset_with_the_date() {
    let tz = Some("EST5EDT,M3.2.0,M11.1.0");
    assert_eq!(eval(tz, "DateAndTime year: 2024 month: 1 day: 15"), "2024-01-15T00:00:00-05:00");
    assert_eq!(eval(tz, "DateAndTime year: 2024 month: 7 day: 15"), "2024-07-15T00:00:00-04:00");
    assert_eq!(eval(tz, "(DateAndTime fromUnixTime: 1720000000) asLocal timeZoneAbbreviation"), "EDT");
    // 02:30 on 10 March 2024 is skipped on the wall clock: it is read with
    // the offset before the change and shows as 03:30 summer time.
    assert_eq!(
        eval(tz, "DateAndTime year: 2024 month: 3 day: 10 hour: 2 minute: 30 second: 0"),
        "2024-03-10T03:30:00-04:00"
    );
}

#[test]
fn utc_and_an_unknown_zone_run_in_utc() {
    assert_eq!(eval(Some("UTC"), "DateAndTime now offset"), "0:00:00:00");
    assert_eq!(eval(Some("UTC"), "TimeZone localFallbackReason"), "nil");
    let unknown = Some("Nowhere/Atlantis");
    assert_eq!(eval(unknown, "DateAndTime now offset"), "0:00:00:00");
    assert_eq!(eval(unknown, "TimeZone local name"), "UTC");
    assert!(eval(unknown, "TimeZone localFallbackReason").starts_with("no local time zone found"));
}

#[test]
fn explicit_offsets_do_not_depend_on_the_zone() {
    let source =
        "DateAndTime year: 2026 month: 11 day: 24 hour: 21 minute: 15 second: 41 nanoSecond: 123000000 offset: 1 hours";
    for tz in [Some("UTC"), Some("IST-5:30"), None] {
        assert_eq!(eval(tz, source), "2026-11-24T21:15:41.123+01:00");
    }
}

#[test]
fn iana_names_when_tzdata_is_installed() {
    if !has_tzdata() {
        eprintln!("no tzdata in /usr/share/zoneinfo: skipping the IANA-name checks");
        return;
    }
    assert_eq!(eval(Some("Asia/Kolkata"), "TimeZone local name"), "Asia/Kolkata");
    assert_eq!(eval(Some("Asia/Kolkata"), "DateAndTime now offset"), "0:05:30:00");
    assert_eq!(eval(Some("America/New_York"), "DateAndTime year: 2024 month: 7 day: 4"), "2024-07-04T00:00:00-04:00");
    assert_eq!(
        eval(Some("Europe/Paris"), "(DateAndTime fromUnixTime: 1700000000) asLocal"),
        "2023-11-14T23:13:20+01:00"
    );
}
