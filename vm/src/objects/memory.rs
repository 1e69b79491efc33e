//! ObjectMemory: the heap plus the special-objects array, with typed views of
//! the objects the VM itself reads and makes (classes, symbols, strings,
//! arrays, numbers, associations).
//!
//! Nothing here collects garbage: every function may allocate, none reaches a
//! safe point, so Oops held in Rust locals stay valid across these calls.

use num_bigint::{BigInt, Sign};
use num_traits::{ToPrimitive, Zero};

use super::layout::{self, class, special, KnownClass};
use crate::heap::{self, Format, Heap, Oop};
use crate::VmError;

/// The heap and the one root everything hangs from.
pub struct ObjectMemory {
    pub heap: Heap,
    /// The special-objects array (see [`layout::special`]). A GC root.
    pub special: Oop,
    /// One-way becomes a class redefinition asked for (old instance, new
    /// instance); the VM carries them out before the next safe point.
    pub pending_forwards: Vec<(Oop, Oop)>,
    /// Classes whose instance variables changed; their methods must be recompiled.
    pub reshaped_classes: Vec<Oop>,
}

/// How a class's instances are laid out, decoded from its format slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceSpec {
    /// Named instance variables.
    pub fixed: usize,
    /// The header format code of instances (for byte/word formats, the code
    /// with no padding; allocation adds it).
    pub format_code: u8,
}

impl InstanceSpec {
    pub fn encode(self) -> i64 {
        (self.fixed as i64 & 0xFFFF) | ((self.format_code as i64) << 16)
    }

    pub fn decode(value: i64) -> InstanceSpec {
        InstanceSpec { fixed: (value & 0xFFFF) as usize, format_code: ((value >> 16) & 0x1F) as u8 }
    }

    /// Whether instances have an indexed part.
    pub fn is_indexable(self) -> bool {
        !matches!(Format::from_code(self.format_code), Some(Format::Empty | Format::Fixed))
    }

    /// Whether instances are byte objects (strings, byte arrays, large integers).
    pub fn is_bytes(self) -> bool {
        matches!(Format::from_code(self.format_code), Some(Format::Bytes { .. }))
    }
}

impl ObjectMemory {
    // ----- constants -----

    #[inline]
    pub fn nil(&self) -> Oop {
        heap::NIL
    }

    #[inline]
    pub fn true_object(&self) -> Oop {
        heap::TRUE
    }

    #[inline]
    pub fn false_object(&self) -> Oop {
        heap::FALSE
    }

    #[inline]
    pub fn boolean(&self, value: bool) -> Oop {
        if value {
            heap::TRUE
        } else {
            heap::FALSE
        }
    }

    #[inline]
    pub fn special_object(&self, index: usize) -> Oop {
        self.heap.fetch(self.special, index)
    }

    pub fn set_special_object(&mut self, index: usize, value: Oop) {
        self.heap.store(self.special, index, value);
    }

    // ----- allocation -----

    /// Allocates an object of a known class.
    pub fn allocate(&mut self, class: KnownClass, format: Format, slots: usize) -> Result<Oop, VmError> {
        self.allocate_indexed(class.index(), format, slots)
    }

    pub fn allocate_indexed(&mut self, class_index: u32, format: Format, slots: usize) -> Result<Oop, VmError> {
        self.heap.allocate(class_index, format, slots).ok_or(VmError::HeapExhausted { requested_slots: slots })
    }

    /// An Array of `len` nils.
    pub fn new_array(&mut self, len: usize) -> Result<Oop, VmError> {
        self.allocate(KnownClass::Array, Format::Indexable, len)
    }

    pub fn new_array_from(&mut self, items: &[Oop]) -> Result<Oop, VmError> {
        let array = self.new_array(items.len())?;
        for (i, item) in items.iter().enumerate() {
            self.heap.store(array, i, *item);
        }
        Ok(array)
    }

    /// A byte object of a known class holding `bytes`.
    pub fn new_bytes(&mut self, class: KnownClass, bytes: &[u8]) -> Result<Oop, VmError> {
        self.heap
            .allocate_bytes(class.index(), bytes)
            .ok_or(VmError::HeapExhausted { requested_slots: bytes.len() / 8 + 1 })
    }

    /// A String (or a WideString when a character is above 255).
    pub fn new_string(&mut self, text: &str) -> Result<Oop, VmError> {
        if text.chars().all(|c| (c as u32) < 256) {
            let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
            self.new_bytes(KnownClass::String, &bytes)
        } else {
            let chars: Vec<u32> = text.chars().map(|c| c as u32).collect();
            self.new_wide_string(&chars)
        }
    }

    /// A WideString of these code points.
    pub fn new_wide_string(&mut self, chars: &[u32]) -> Result<Oop, VmError> {
        let slots = chars.len().div_ceil(2);
        let unused = (chars.len() % 2) as u8;
        let oop = self.allocate(KnownClass::WideString, Format::Words32 { unused }, slots)?;
        let bytes = self.heap.bytes_mut(oop);
        for (i, c) in chars.iter().enumerate() {
            bytes[i * 4..i * 4 + 4].copy_from_slice(&c.to_le_bytes());
        }
        Ok(oop)
    }

    /// A Float: immediate when the value is in the immediate range (see
    /// [`Oop::try_float`]), else boxed, a one-word object of class Float.
    /// Only boxed Floats allocate.
    #[inline(always)]
    pub fn new_float(&mut self, value: f64) -> Result<Oop, VmError> {
        match Oop::try_float(value) {
            Some(immediate) => Ok(immediate),
            None => self.new_boxed_float(value),
        }
    }

    /// A Float on the heap, whatever its value. Only [`Self::new_float`]
    /// and tests should want one: an immediate-range value belongs in an
    /// immediate, or `==` between equal Floats goes wrong.
    #[inline(never)]
    pub fn new_boxed_float(&mut self, value: f64) -> Result<Oop, VmError> {
        let oop = self.allocate(KnownClass::Float, Format::Words64, 1)?;
        self.heap.words_mut(oop)[0] = value.to_bits();
        Ok(oop)
    }

    pub fn new_association(&mut self, key: Oop, value: Oop) -> Result<Oop, VmError> {
        let oop = self.allocate(KnownClass::Association, Format::Fixed, 2)?;
        self.heap.store(oop, layout::association::KEY, key);
        self.heap.store(oop, layout::association::VALUE, value);
        Ok(oop)
    }

    /// An integer object: a SmallInteger when it fits, else a LargeInteger.
    pub fn new_integer(&mut self, value: &BigInt) -> Result<Oop, VmError> {
        if let Some(small) = value.to_i64().and_then(Oop::try_small_integer) {
            return Ok(small);
        }
        let (sign, bytes) = value.to_bytes_le();
        let class =
            if sign == Sign::Minus { KnownClass::LargeNegativeInteger } else { KnownClass::LargePositiveInteger };
        self.new_bytes(class, &bytes)
    }

    pub fn new_integer_i128(&mut self, value: i128) -> Result<Oop, VmError> {
        match i64::try_from(value).ok().and_then(Oop::try_small_integer) {
            Some(small) => Ok(small),
            None => self.new_integer(&BigInt::from(value)),
        }
    }

    // ----- classes -----

    /// The class table (an Array indexed by class index).
    #[inline]
    pub fn class_table(&self) -> Oop {
        self.special_object(special::CLASS_TABLE)
    }

    /// The class at `index`, or nil.
    pub fn class_at_index(&self, index: u32) -> Oop {
        let table = self.class_table();
        if (index as usize) < self.heap.num_slots(table) {
            self.heap.fetch(table, index as usize)
        } else {
            heap::NIL
        }
    }

    /// The class of any object (nil if its class has not been defined yet).
    #[inline]
    pub fn class_of(&self, oop: Oop) -> Oop {
        self.class_at_index(self.heap.class_index_of(oop))
    }

    pub fn known_class(&self, class: KnownClass) -> Oop {
        self.class_at_index(class.index())
    }

    /// The class index instances of `class` get: a class's identity hash is its index.
    #[inline]
    pub fn index_of_class(&self, class: Oop) -> u32 {
        self.heap.identity_hash(class)
    }

    pub fn superclass_of(&self, class: Oop) -> Oop {
        self.heap.fetch(class, class::SUPERCLASS)
    }

    pub fn instance_spec(&self, class: Oop) -> InstanceSpec {
        InstanceSpec::decode(self.heap.fetch(class, class::FORMAT).to_small_integer().unwrap_or(0))
    }

    /// Whether `oop` is a class or a metaclass (an instance of a metaclass, or of Metaclass).
    pub fn is_behavior(&self, oop: Oop) -> bool {
        if !oop.is_object() {
            return false;
        }
        let index = self.heap.class_index_of(oop);
        if index == KnownClass::Metaclass.index() {
            return true;
        }
        let cls = self.class_at_index(index);
        cls != heap::NIL && self.heap.class_index_of(cls) == KnownClass::Metaclass.index()
    }

    pub fn is_metaclass(&self, oop: Oop) -> bool {
        oop.is_object() && self.heap.class_index_of(oop) == KnownClass::Metaclass.index()
    }

    /// The name of a class (`Foo`) or metaclass (`Foo class`), for messages.
    pub fn class_name(&self, class: Oop) -> String {
        if !class.is_object() || class == heap::NIL {
            return "nil".to_string();
        }
        if self.is_metaclass(class) {
            let this = self.heap.fetch(class, class::THIS_CLASS);
            return format!("{} class", self.class_name(this));
        }
        let name = self.heap.fetch(class, class::NAME);
        self.string_value(name).unwrap_or_else(|| "a class".to_string())
    }

    /// The name of the class of `oop`.
    pub fn class_name_of(&self, oop: Oop) -> String {
        self.class_name(self.class_of(oop))
    }

    /// Whether the object's class index is this known class.
    #[inline]
    pub fn is_instance_of(&self, oop: Oop, class: KnownClass) -> bool {
        self.heap.class_index_of(oop) == class.index()
    }

    // ----- reading values -----

    /// The characters of a String, Symbol or WideString (any byte or 32-bit
    /// word object), or None for other objects.
    pub fn string_value(&self, oop: Oop) -> Option<String> {
        if !oop.is_object() {
            return None;
        }
        match self.heap.format_of(oop) {
            Format::Bytes { .. } => Some(self.heap.bytes(oop).iter().map(|&b| b as char).collect()),
            Format::Words32 { .. } => Some(
                self.heap
                    .bytes(oop)
                    .chunks_exact(4)
                    .map(|c| char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{FFFD}'))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The code points of a String, Symbol or WideString.
    pub fn code_points(&self, oop: Oop) -> Option<Vec<u32>> {
        if !oop.is_object() {
            return None;
        }
        match self.heap.format_of(oop) {
            Format::Bytes { .. } => Some(self.heap.bytes(oop).iter().map(|&b| b as u32).collect()),
            Format::Words32 { .. } => Some(
                self.heap.bytes(oop).chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            ),
            _ => None,
        }
    }

    /// Whether `oop` is a string of characters (String, Symbol, WideString or a subclass).
    pub fn is_string_like(&self, oop: Oop) -> bool {
        if !oop.is_object() {
            return false;
        }
        let index = self.heap.class_index_of(oop);
        if index == KnownClass::String.index()
            || index == KnownClass::Symbol.index()
            || index == KnownClass::WideString.index()
        {
            return true;
        }
        let string_class = self.known_class(KnownClass::String);
        let wide_class = self.known_class(KnownClass::WideString);
        self.inherits_from(self.class_at_index(index), string_class)
            || self.inherits_from(self.class_at_index(index), wide_class)
    }

    /// Whether `class` is `ancestor` or inherits from it.
    pub fn inherits_from(&self, mut class: Oop, ancestor: Oop) -> bool {
        while class != heap::NIL && class.is_object() {
            if class == ancestor {
                return true;
            }
            class = self.superclass_of(class);
        }
        false
    }

    pub fn is_symbol(&self, oop: Oop) -> bool {
        oop.is_object() && self.heap.class_index_of(oop) == KnownClass::Symbol.index()
    }

    /// The value of a Float, immediate or boxed; None for anything else.
    /// Always inlined: the interpreter's Float fast path reads both operands
    /// with it, and the immediate case is a few instructions.
    #[inline(always)]
    pub fn float_value(&self, oop: Oop) -> Option<f64> {
        if oop.is_float() {
            return Some(oop.as_float());
        }
        self.boxed_float_value(oop)
    }

    /// None for a Float without its word (`Float new`, `Float basicNew: 0`).
    #[inline(never)]
    fn boxed_float_value(&self, oop: Oop) -> Option<f64> {
        if !oop.is_object() || self.heap.class_index_of(oop) != KnownClass::Float.index() {
            return None;
        }
        self.heap.words(oop).first().map(|&bits| f64::from_bits(bits))
    }

    /// Whether `oop` is a Float, immediate or boxed.
    #[inline]
    pub fn is_float(&self, oop: Oop) -> bool {
        self.heap.class_index_of(oop) == KnownClass::Float.index()
    }

    /// The value of any Integer (SmallInteger or LargeInteger).
    pub fn integer_value(&self, oop: Oop) -> Option<BigInt> {
        if let Some(v) = oop.to_small_integer() {
            return Some(BigInt::from(v));
        }
        if !oop.is_object() {
            return None;
        }
        let index = self.heap.class_index_of(oop);
        let sign = if index == KnownClass::LargePositiveInteger.index() {
            Sign::Plus
        } else if index == KnownClass::LargeNegativeInteger.index() {
            Sign::Minus
        } else {
            return None;
        };
        let value = BigInt::from_bytes_le(sign, self.heap.bytes(oop));
        Some(if value.is_zero() { BigInt::zero() } else { value })
    }

    /// An array's elements.
    pub fn array_elements(&self, oop: Oop) -> Vec<Oop> {
        (0..self.heap.num_slots(oop)).map(|i| self.heap.fetch(oop, i)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::heap::HeapConfig;
    use crate::objects::layout::special;

    /// A memory with the special-objects array, class table and symbol table,
    /// but no classes: enough for the views in this module.
    pub(crate) fn memory() -> ObjectMemory {
        let heap = Heap::new(HeapConfig { max_heap: 256 << 20, ..HeapConfig::default() }).expect("heap");
        let mut mem =
            ObjectMemory { heap, special: heap::NIL, pending_forwards: Vec::new(), reshaped_classes: Vec::new() };
        for class in [KnownClass::UndefinedObject, KnownClass::False, KnownClass::True] {
            mem.heap.allocate_old(class.index(), Format::Empty, 0).expect("room");
        }
        mem.special =
            mem.heap.allocate_old(KnownClass::Array.index(), Format::Indexable, special::COUNT).expect("room");
        mem.init_class_table().expect("room");
        mem.init_symbol_table().expect("room");
        mem
    }

    #[test]
    fn integers_round_trip_through_small_and_large() {
        let mut mem = memory();
        for text in ["0", "-1", "4611686018427387903", "4611686018427387904", "-4611686018427387904", "-4611686018427387905", "93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000"] {
            let value: BigInt = text.parse().expect("number");
            let oop = mem.new_integer(&value).expect("room");
            assert_eq!(mem.integer_value(oop), Some(value.clone()), "{text}");
            let small = value.to_i64().and_then(Oop::try_small_integer).is_some();
            assert_eq!(oop.is_small_integer(), small, "{text}");
        }
    }

    #[test]
    fn strings_are_narrow_until_a_character_needs_more() {
        let mut mem = memory();
        let narrow = mem.new_string("café").expect("room");
        assert!(mem.is_instance_of(narrow, KnownClass::String));
        assert_eq!(mem.string_value(narrow).as_deref(), Some("café"));
        let wide = mem.new_string("λx").expect("room");
        assert!(mem.is_instance_of(wide, KnownClass::WideString));
        assert_eq!(mem.string_value(wide).as_deref(), Some("λx"));
        assert_eq!(mem.code_points(wide), Some(vec![0x3BB, 'x' as u32]));
    }

    #[test]
    fn floats_keep_their_bits() {
        let mut mem = memory();
        for f in [0.1, -0.0, f64::INFINITY, f64::MIN_POSITIVE] {
            let oop = mem.new_float(f).expect("room");
            assert_eq!(mem.float_value(oop).map(f64::to_bits), Some(f.to_bits()));
            let boxed = mem.new_boxed_float(f).expect("room");
            assert_eq!(mem.float_value(boxed).map(f64::to_bits), Some(f.to_bits()));
            assert!(mem.is_float(oop) && mem.is_float(boxed));
        }
    }

    #[test]
    fn floats_are_immediate_in_range_and_boxed_outside_it() {
        let mut mem = memory();
        let used = mem.heap.stats().eden_used;
        for f in [0.0, -0.0, 1.5, -2.5e-30, 1e38, 2f64.powi(-126)] {
            let oop = mem.new_float(f).expect("room");
            assert!(oop.is_float(), "{f:e}");
            assert_eq!(mem.heap.class_index_of(oop), KnownClass::Float.index());
        }
        assert_eq!(mem.heap.stats().eden_used, used, "immediate Floats allocate nothing");
        for f in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e300, -1e-300, f64::MIN_POSITIVE, 5e-324] {
            let oop = mem.new_float(f).expect("room");
            assert!(oop.is_object(), "{f:e}");
            assert!(mem.is_instance_of(oop, KnownClass::Float));
        }
        assert!(!mem.is_float(Oop::small_integer(3)) && !mem.is_float(Oop::character(65)));
        assert_eq!(mem.float_value(Oop::small_integer(3)), None);
    }
}
