//! Classes and metaclasses as heap objects: making them, registering them in
//! the class table, reading their shape, and looking methods up.
//!
//! A class's identity hash is its index in the class table (as in Spur), so
//! `basicNew` finds the index to put in a new instance's header in O(1).

use super::layout::{class, special, KnownClass, FIRST_DYNAMIC_CLASS_INDEX};
use super::memory::{InstanceSpec, ObjectMemory};
use crate::heap::{header::MAX_CLASS_INDEX, Format, Oop};
use crate::VmError;

const INITIAL_CLASS_TABLE: usize = 1024;

impl ObjectMemory {
    pub fn init_class_table(&mut self) -> Result<(), VmError> {
        let table = self.new_array(INITIAL_CLASS_TABLE)?;
        self.set_special_object(special::CLASS_TABLE, table);
        Ok(())
    }

    /// Puts `class` at `index` in the class table and makes its identity hash that index.
    pub fn register_class(&mut self, class_oop: Oop, index: u32) -> Result<(), VmError> {
        let mut table = self.class_table();
        let size = self.heap.num_slots(table);
        if index as usize >= size {
            let bigger = self.new_array((size * 2).max(index as usize + 1))?;
            for i in 0..size {
                let c = self.heap.fetch(table, i);
                self.heap.store(bigger, i, c);
            }
            self.set_special_object(special::CLASS_TABLE, bigger);
            table = bigger;
        }
        self.heap.store(table, index as usize, class_oop);
        let header = self.heap.header(class_oop).with_identity_hash(index);
        self.heap.set_header(class_oop, header);
        self.heap.set_class_index_limit(self.heap.num_slots(table) as u32);
        Ok(())
    }

    /// The first unused class index at or above the dynamic range.
    pub fn free_class_index(&self) -> Result<u32, VmError> {
        let table = self.class_table();
        let size = self.heap.num_slots(table) as u32;
        (FIRST_DYNAMIC_CLASS_INDEX..size)
            .find(|&i| self.heap.fetch(table, i as usize) == self.nil())
            .or(Some(size).filter(|&s| s <= MAX_CLASS_INDEX))
            .ok_or(VmError::ClassTableFull)
    }

    /// Allocates a class object and its metaclass, registers both, and fills
    /// in their slots. `superclass` may be nil (for Object). The metaclass's
    /// superclass is the superclass's metaclass, or `class_class` (Class) for
    /// a root; it may be nil during the very first steps of bootstrap and be
    /// patched afterwards.
    ///
    /// `class_slots` is how many slots the class object has: Class's
    /// instance variables plus any class-side ones.
    #[allow(clippy::too_many_arguments)]
    pub fn make_class(
        &mut self,
        name: &str,
        superclass: Oop,
        spec: InstanceSpec,
        instance_variables: &[String],
        class_slots: usize,
        index: Option<u32>,
        class_class: Oop,
    ) -> Result<Oop, VmError> {
        let meta_index = self.free_class_index()?;
        let metaclass = self.allocate(KnownClass::Metaclass, Format::Fixed, class::METACLASS_SLOTS)?;
        self.register_class(metaclass, meta_index)?;
        let class_oop = self.allocate_indexed(meta_index, Format::Fixed, class_slots)?;
        let index = match index {
            Some(i) => i,
            None => self.free_class_index()?,
        };
        self.register_class(class_oop, index)?;

        let name_symbol = self.intern(name)?;
        let ivars = self.string_array(instance_variables)?;
        let md = self.new_method_dictionary(16)?;
        self.heap.store(class_oop, class::SUPERCLASS, superclass);
        self.heap.store(class_oop, class::METHOD_DICT, md);
        self.heap.store(class_oop, class::FORMAT, Oop::small_integer(spec.encode()));
        self.heap.store(class_oop, class::INSTANCE_VARIABLES, ivars);
        self.heap.store(class_oop, class::NAME, name_symbol);

        let meta_super = if superclass == self.nil() { class_class } else { self.class_of(superclass) };
        let meta_md = self.new_method_dictionary(8)?;
        let class_ivars = if meta_super != self.nil() {
            self.heap.fetch(meta_super, class::INSTANCE_VARIABLES)
        } else {
            self.new_array(0)?
        };
        self.heap.store(metaclass, class::SUPERCLASS, meta_super);
        self.heap.store(metaclass, class::METHOD_DICT, meta_md);
        self.heap.store(
            metaclass,
            class::FORMAT,
            Oop::small_integer(InstanceSpec { fixed: class_slots, format_code: Format::Fixed.code() }.encode()),
        );
        self.heap.store(metaclass, class::INSTANCE_VARIABLES, class_ivars);
        self.heap.store(metaclass, class::THIS_CLASS, class_oop);
        if superclass != self.nil() {
            self.add_subclass(superclass, class_oop)?;
        }
        Ok(class_oop)
    }

    /// Adds `subclass` to `superclass`'s subclasses Array.
    pub fn add_subclass(&mut self, superclass: Oop, subclass: Oop) -> Result<(), VmError> {
        let old = self.heap.fetch(superclass, class::SUBCLASSES);
        let mut items = if old == self.nil() { Vec::new() } else { self.array_elements(old) };
        if items.contains(&subclass) {
            return Ok(());
        }
        items.push(subclass);
        let array = self.new_array_from(&items)?;
        self.heap.store(superclass, class::SUBCLASSES, array);
        Ok(())
    }

    pub fn remove_subclass(&mut self, superclass: Oop, subclass: Oop) -> Result<(), VmError> {
        let old = self.heap.fetch(superclass, class::SUBCLASSES);
        if old == self.nil() {
            return Ok(());
        }
        let items: Vec<Oop> = self.array_elements(old).into_iter().filter(|&c| c != subclass).collect();
        let array = self.new_array_from(&items)?;
        self.heap.store(superclass, class::SUBCLASSES, array);
        Ok(())
    }

    /// The direct subclasses of a class.
    pub fn subclasses_of(&self, class_oop: Oop) -> Vec<Oop> {
        if self.is_metaclass(class_oop) {
            return Vec::new();
        }
        let subs = self.heap.fetch(class_oop, class::SUBCLASSES);
        if subs == self.nil() {
            Vec::new()
        } else {
            self.array_elements(subs)
        }
    }

    /// An Array of Strings.
    pub fn string_array(&mut self, items: &[String]) -> Result<Oop, VmError> {
        let mut oops = Vec::with_capacity(items.len());
        for item in items {
            oops.push(self.new_string(item)?);
        }
        self.new_array_from(&oops)
    }

    /// Every instance variable name of a class, inherited first.
    pub fn instance_variable_names(&self, class_oop: Oop) -> Vec<String> {
        let ivars = self.heap.fetch(class_oop, class::INSTANCE_VARIABLES);
        if ivars == self.nil() {
            return Vec::new();
        }
        self.array_elements(ivars).into_iter().filter_map(|s| self.string_value(s)).collect()
    }

    /// The metaclass of a class (the class of the class object).
    pub fn metaclass_of(&self, class_oop: Oop) -> Oop {
        self.class_of(class_oop)
    }

    /// Looks `selector` up from `class_oop` along the superclass chain.
    pub fn lookup_method(&self, mut class_oop: Oop, selector: Oop) -> Option<Oop> {
        while class_oop != self.nil() && class_oop.is_object() {
            let md = self.heap.fetch(class_oop, class::METHOD_DICT);
            if let Some(method) = self.method_dict_at(md, selector) {
                return Some(method);
            }
            class_oop = self.superclass_of(class_oop);
        }
        None
    }

    /// The Behavior `Class` and `Metaclass` objects, for making metaclasses.
    pub fn class_class(&self) -> Oop {
        self.known_class(KnownClass::Class)
    }
}
