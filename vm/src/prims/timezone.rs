//! The local time zone, for DateAndTime: the offset from UTC that the host
//! keeps at a given moment, from the `TZ` environment variable or else
//! `/etc/localtime`, looked up with `jiff` (IANA names need the system's
//! tzdata; POSIX rules such as `TZ=IST-5:30` or `TZ=EST5EDT,M3.2.0,M11.1.0`
//! need nothing). When no zone can be found the world runs in UTC and says
//! why.
//!
//! It knows seconds and offsets; it knows nothing of Smalltalk's Date and
//! Time objects beyond the Array it answers.

use super::index::Primitive as P;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::Oop;
use crate::interp::Vm;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// What the local zone says about one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOffset {
    /// Seconds east of UTC.
    pub seconds: i32,
    /// `CET`, `EST`, `+0530` ...: what the zone calls its offset then.
    pub abbreviation: String,
    /// The zone's IANA name, or the `TZ` rule, or `UTC` when none was found.
    pub zone_name: String,
    /// Why the local zone could not be found (the world then runs in UTC).
    pub fallback_reason: Option<String>,
}

/// The host's time zone, or UTC and the reason none was found.
pub fn local_zone() -> (TimeZone, Option<String>) {
    match TimeZone::try_system() {
        Ok(tz) => (tz, None),
        Err(e) => (TimeZone::UTC, Some(format!("no local time zone found ({e}); using UTC"))),
    }
}

/// The local offset at `seconds` past 1970-01-01T00:00. With `civil` false
/// those are seconds of UTC (an instant); with `civil` true they are read on
/// the local wall clock, and a wall time that a change of offset skips or
/// repeats takes the offset in force before the change (as RFC 5545 and
/// Temporal's "compatible" rule do). None when the moment is out of range.
pub fn local_offset(tz: &TimeZone, seconds: i64, civil: bool) -> Option<Timestamp> {
    let given = Timestamp::from_second(seconds).ok()?;
    if civil {
        tz.to_timestamp(Offset::UTC.to_datetime(given)).ok()
    } else {
        Some(given)
    }
}

/// [`local_offset`] and the names that go with it. For a wall time
/// (`civil`) the offset is the one it is read with: wall time minus that
/// offset is the instant (whose own offset may differ, in a gap).
pub fn describe(tz: &TimeZone, fallback_reason: Option<String>, seconds: i64, civil: bool) -> Option<LocalOffset> {
    let instant = local_offset(tz, seconds, civil)?;
    let info = tz.to_offset_info(instant);
    let zone_name = match (tz.iana_name(), std::env::var("TZ")) {
        _ if fallback_reason.is_some() => "UTC".to_string(),
        (Some(name), _) => name.to_string(),
        (None, Ok(rule)) if !rule.is_empty() => rule.trim_start_matches(':').to_string(),
        (None, _) => info.abbreviation().to_string(),
    };
    // A wall time gives the offset it was read with, which differs from the
    // offset in force at the instant when the wall time falls in a gap.
    let seconds = if civil { (seconds - instant.as_second()) as i32 } else { info.offset().seconds() };
    Some(LocalOffset { seconds, abbreviation: info.abbreviation().to_string(), zone_name, fallback_reason })
}

pub fn timezone(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let _ = receiver(vm, argc);
    match prim {
        P::LocalTimeZoneOffset => {
            let seconds = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            let civil = arg(vm, argc, 1);
            require(civil == vm.mem.boolean(true) || civil == vm.mem.boolean(false))?;
            let (tz, reason) = local_zone();
            let local = describe(&tz, reason, seconds, civil == vm.mem.boolean(true)).ok_or(PrimError::Fail)?;
            let abbreviation = vm.mem.new_string(&local.abbreviation)?;
            let zone_name = vm.mem.new_string(&local.zone_name)?;
            let reason = match &local.fallback_reason {
                Some(text) => vm.mem.new_string(text)?,
                None => vm.mem.nil(),
            };
            let info =
                vm.mem.new_array_from(&[Oop::small_integer(local.seconds as i64), abbreviation, zone_name, reason])?;
            answer(vm, argc, info)
        }
        _ => Err(PrimError::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prims::integer::tests::{run, test_vm};

    fn posix(rule: &str) -> TimeZone {
        TimeZone::posix(rule).expect("a valid POSIX TZ rule")
    }

    #[test]
    fn offsets_of_instants_and_of_wall_times() {
        let india = posix("IST-5:30");
        let at = describe(&india, None, 0, false).expect("in range");
        assert_eq!(at.seconds, 19800);
        assert_eq!(at.abbreviation, "IST");
        // New York: 2024-03-10 02:30 does not exist on the wall clock; it
        // takes the offset before the change, -5 hours.
        let new_york = posix("EST5EDT,M3.2.0,M11.1.0");
        let gap = 1710037800; // 2024-03-10T02:30:00 read as UTC
        let instant = local_offset(&new_york, gap, true).expect("in range");
        assert_eq!(instant.as_second() - gap, 5 * 3600);
        let read = describe(&new_york, None, gap, true).expect("in range");
        assert_eq!((read.seconds, read.abbreviation.as_str()), (-5 * 3600, "EDT"));
        let summer = describe(&new_york, None, 1720000000, false).expect("in range");
        assert_eq!((summer.seconds, summer.abbreviation.as_str()), (-4 * 3600, "EDT"));
        assert_eq!(local_offset(&india, i64::MAX / 2, false), None);
    }

    #[test]
    fn the_fallback_is_utc_and_says_so() {
        let utc = describe(&TimeZone::UTC, Some("none".into()), 0, false).expect("in range");
        assert_eq!((utc.seconds, utc.zone_name.as_str()), (0, "UTC"));
        assert_eq!(utc.fallback_reason.as_deref(), Some("none"));
    }

    #[test]
    fn the_primitive_fails_on_bad_arguments() {
        let mut vm = test_vm();
        let nil = vm.mem.nil();
        let yes = vm.mem.boolean(true);
        assert_eq!(run(&mut vm, 299, &[nil, nil, yes]), None);
        assert_eq!(run(&mut vm, 299, &[nil, Oop::small_integer(0), nil]), None);
        assert!(run(&mut vm, 299, &[nil, Oop::small_integer(0), yes]).is_some());
    }
}
