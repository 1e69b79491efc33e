//! The one-word object header, in the style of Spur.
//!
//! ```text
//!  63      56 55 54 53                 32 31 30 29 28     24 23 22 21               0
//! +----------+-----+----------------------+--+--+--+---------+-----+------------------+
//! | numSlots | --- |    identity hash     |ed|im|rm|  format | --- |   class index    |
//! +----------+-----+----------------------+--+--+--+---------+-----+------------------+
//!    8 bits           22 bits                        5 bits            22 bits
//!
//! rm = remembered (an old object in the remembered set), im = immutable,
//! ed = edited: a Context whose fixed slots (sender, pc, method ...) Smalltalk
//! code has written, so the interpreter checks it before resuming it.
//! ```
//!
//! `numSlots` counts 64-bit words of body. An object of 255 or more slots has
//! `numSlots = 255` and an *overflow word* just before its header holding the
//! real count in its low 56 bits, with 255 in its top byte too:
//!
//! ```text
//!   [ 0xFF | count (56 bits) ]   overflow word (big objects only)
//!   [ header                 ]   <- the object's Oop points here
//!   [ slot 0 ] [ slot 1 ] ...
//! ```
//!
//! Every object has at least one body word, so that it can be forwarded.
//! Mark bits are *not* in the header: the collector keeps them in a side
//! bitmap, so a full collection does not dirty every page of a mapped image.

/// The storage format of an object: what its slots hold.
///
/// The numbering follows Spur's, so that the byte formats carry the count of
/// unused bytes in their last word in their low bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No slots (its one body word is padding).
    Empty,
    /// Named pointer slots only.
    Fixed,
    /// Indexed pointer slots only.
    Indexable,
    /// Named pointer slots followed by indexed ones.
    FixedIndexable,
    /// Indexed slots held weakly: the collector does not keep their referents alive.
    Weak,
    /// A forwarded object: its first body word is the Oop it moved to.
    Forwarded,
    /// Indexed 64-bit words.
    Words64,
    /// Indexed 32-bit words; `unused` (0 or 1) trailing half-words are padding.
    Words32 { unused: u8 },
    /// Indexed 16-bit words; `unused` (0..=3) trailing ones are padding.
    Words16 { unused: u8 },
    /// Indexed bytes; `unused` (0..=7) trailing bytes are padding.
    Bytes { unused: u8 },
    /// A CompiledMethod or CompiledBlock: slot 0 is a SmallInteger whose low
    /// 16 bits count the pointer slots that follow it (the literals); the rest
    /// is bytecodes, with `unused` trailing bytes of padding.
    Code { unused: u8 },
}

impl Format {
    /// The 5-bit code stored in the header.
    pub const fn code(self) -> u8 {
        match self {
            Format::Empty => 0,
            Format::Fixed => 1,
            Format::Indexable => 2,
            Format::FixedIndexable => 3,
            Format::Weak => 4,
            Format::Forwarded => 7,
            Format::Words64 => 9,
            Format::Words32 { unused } => 10 + unused,
            Format::Words16 { unused } => 12 + unused,
            Format::Bytes { unused } => 16 + unused,
            Format::Code { unused } => 24 + unused,
        }
    }

    /// The format a 5-bit code denotes, if any.
    pub const fn from_code(code: u8) -> Option<Format> {
        Some(match code {
            0 => Format::Empty,
            1 => Format::Fixed,
            2 => Format::Indexable,
            3 => Format::FixedIndexable,
            4 => Format::Weak,
            7 => Format::Forwarded,
            9 => Format::Words64,
            10..=11 => Format::Words32 { unused: code - 10 },
            12..=15 => Format::Words16 { unused: code - 12 },
            16..=23 => Format::Bytes { unused: code - 16 },
            24..=31 => Format::Code { unused: code - 24 },
            _ => return None,
        })
    }

    /// Whether every body slot is an object reference.
    pub const fn is_pointers(self) -> bool {
        matches!(self, Format::Empty | Format::Fixed | Format::Indexable | Format::FixedIndexable | Format::Weak)
    }

    /// Whether the body is raw bits (bytes or words) rather than references.
    pub const fn is_bits(self) -> bool {
        matches!(self, Format::Words64 | Format::Words32 { .. } | Format::Words16 { .. } | Format::Bytes { .. })
    }

    /// Whether this is the format of a CompiledMethod or CompiledBlock.
    pub const fn is_code(self) -> bool {
        matches!(self, Format::Code { .. })
    }

    /// The byte format for `len` bytes: the padding its last word has.
    pub const fn bytes_for(len: usize) -> Format {
        Format::Bytes { unused: ((8 - len % 8) % 8) as u8 }
    }

    /// The code format for `len` bytecodes.
    pub const fn code_for(len: usize) -> Format {
        Format::Code { unused: ((8 - len % 8) % 8) as u8 }
    }
}

/// A header word, decoded on demand.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Header(pub u64);

/// The largest class index a header can hold.
pub const MAX_CLASS_INDEX: u32 = (1 << 22) - 1;
/// Identity hashes are 22 bits.
pub const HASH_MASK: u32 = (1 << 22) - 1;
/// `numSlots` of an object whose count is in its overflow word.
pub const OVERFLOW_SLOTS: u64 = 255;

const CLASS_SHIFT: u32 = 0;
const FORMAT_SHIFT: u32 = 24;
const REMEMBERED_BIT: u64 = 1 << 29;
const IMMUTABLE_BIT: u64 = 1 << 30;
const EDITED_BIT: u64 = 1 << 31;
const HASH_SHIFT: u32 = 32;
const SLOTS_SHIFT: u32 = 56;

impl Header {
    /// A header for a new object. `num_slots` is the field value: the real
    /// count, or [`OVERFLOW_SLOTS`] for a big object.
    pub const fn new(class_index: u32, format: Format, hash: u32, num_slots_field: u64) -> Header {
        Header(
            ((class_index as u64 & MAX_CLASS_INDEX as u64) << CLASS_SHIFT)
                | ((format.code() as u64) << FORMAT_SHIFT)
                | (((hash & HASH_MASK) as u64) << HASH_SHIFT)
                | (num_slots_field << SLOTS_SHIFT),
        )
    }

    #[inline]
    pub const fn class_index(self) -> u32 {
        ((self.0 >> CLASS_SHIFT) as u32) & MAX_CLASS_INDEX
    }

    #[inline]
    pub const fn with_class_index(self, class_index: u32) -> Header {
        Header((self.0 & !((MAX_CLASS_INDEX as u64) << CLASS_SHIFT)) | ((class_index as u64) << CLASS_SHIFT))
    }

    #[inline]
    pub const fn format_code(self) -> u8 {
        ((self.0 >> FORMAT_SHIFT) & 0x1F) as u8
    }

    /// For a code object (a CompiledMethod or CompiledBlock), the count of
    /// padding bytes after its bytecodes; `None` for any other format.
    #[inline(always)]
    pub const fn code_padding(self) -> Option<usize> {
        let code = self.format_code();
        if code >= 24 {
            Some((code - 24) as usize)
        } else {
            None
        }
    }

    /// The decoded format; `None` for a code no format has (a corrupt header).
    #[inline]
    pub const fn format(self) -> Option<Format> {
        Format::from_code(self.format_code())
    }

    #[inline]
    pub const fn with_format(self, format: Format) -> Header {
        Header((self.0 & !(0x1F << FORMAT_SHIFT)) | ((format.code() as u64) << FORMAT_SHIFT))
    }

    #[inline]
    pub const fn identity_hash(self) -> u32 {
        ((self.0 >> HASH_SHIFT) as u32) & HASH_MASK
    }

    #[inline]
    pub const fn with_identity_hash(self, hash: u32) -> Header {
        Header((self.0 & !((HASH_MASK as u64) << HASH_SHIFT)) | (((hash & HASH_MASK) as u64) << HASH_SHIFT))
    }

    /// The 8-bit slot-count field ([`OVERFLOW_SLOTS`] for big objects).
    #[inline]
    pub const fn num_slots_field(self) -> u64 {
        self.0 >> SLOTS_SHIFT
    }

    /// Whether Smalltalk code has written the fixed slots of this object
    /// (only Contexts are marked; see the module comment).
    #[inline(always)]
    pub const fn is_edited(self) -> bool {
        self.0 & EDITED_BIT != 0
    }

    #[inline]
    pub const fn with_edited(self) -> Header {
        Header(self.0 | EDITED_BIT)
    }

    #[inline]
    pub const fn is_remembered(self) -> bool {
        self.0 & REMEMBERED_BIT != 0
    }

    #[inline]
    pub const fn with_remembered(self, on: bool) -> Header {
        Header(if on { self.0 | REMEMBERED_BIT } else { self.0 & !REMEMBERED_BIT })
    }

    #[inline]
    pub const fn is_immutable(self) -> bool {
        self.0 & IMMUTABLE_BIT != 0
    }

    #[inline]
    pub const fn with_immutable(self, on: bool) -> Header {
        Header(if on { self.0 | IMMUTABLE_BIT } else { self.0 & !IMMUTABLE_BIT })
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("class_index", &self.class_index())
            .field("format", &self.format())
            .field("hash", &self.identity_hash())
            .field("slots", &self.num_slots_field())
            .field("remembered", &self.is_remembered())
            .field("immutable", &self.is_immutable())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_code_round_trips() {
        for code in 0..32u8 {
            if let Some(f) = Format::from_code(code) {
                assert_eq!(f.code(), code);
            }
        }
        assert_eq!(Format::from_code(5), None);
        assert_eq!(Format::bytes_for(0), Format::Bytes { unused: 0 });
        assert_eq!(Format::bytes_for(1), Format::Bytes { unused: 7 });
        assert_eq!(Format::bytes_for(9), Format::Bytes { unused: 7 });
        assert_eq!(Format::bytes_for(16), Format::Bytes { unused: 0 });
    }

    #[test]
    fn header_fields_do_not_overlap() {
        let h = Header::new(MAX_CLASS_INDEX, Format::Code { unused: 7 }, HASH_MASK, OVERFLOW_SLOTS);
        assert_eq!(h.class_index(), MAX_CLASS_INDEX);
        assert_eq!(h.format(), Some(Format::Code { unused: 7 }));
        assert_eq!(h.identity_hash(), HASH_MASK);
        assert_eq!(h.num_slots_field(), OVERFLOW_SLOTS);
        assert!(!h.is_remembered() && !h.is_immutable());
        let h2 = h.with_remembered(true).with_immutable(true).with_class_index(3).with_identity_hash(5);
        assert!(h2.is_remembered() && h2.is_immutable());
        assert_eq!(h2.class_index(), 3);
        assert_eq!(h2.identity_hash(), 5);
        assert_eq!(h2.format(), Some(Format::Code { unused: 7 }));
        assert_eq!(h2.num_slots_field(), OVERFLOW_SLOTS);
        assert!(!h2.with_remembered(false).is_remembered());
    }

    #[test]
    fn the_edited_bit_is_kept_by_every_other_change() {
        let h = Header::new(7, Format::FixedIndexable, 99, 12);
        assert!(!h.is_edited());
        let e = h.with_edited();
        assert!(e.is_edited());
        let changed = e.with_remembered(true).with_immutable(true).with_class_index(3).with_identity_hash(5);
        assert!(changed.is_edited());
        assert_eq!((changed.class_index(), changed.num_slots_field()), (3, 12));
        assert_eq!(e.format(), Some(Format::FixedIndexable));
        assert_eq!(Header::new(7, Format::Code { unused: 3 }, 1, 2).code_padding(), Some(3));
        assert_eq!(h.code_padding(), None);
    }
}
