//! Primitives: Rust functions that do what a method's Smalltalk code could
//! not, or could not do fast. One module per class family; [`dispatch`] maps
//! a primitive number (see [`index::Primitive`]) to its function.
//!
//! A primitive finds its receiver and arguments on the active context's
//! stack (`argc` arguments above the receiver). On success it replaces them
//! with its answer (or switches context, for the control primitives); on
//! failure it leaves the stack untouched and the method's code runs.

pub mod arrayed;
pub mod character;
pub mod collection;
pub mod control;
pub mod exception;
pub mod file;
pub mod float;
pub mod index;
pub mod integer;
pub mod number_text;
pub mod object;
pub mod process;
pub mod quick;
pub mod string;
pub mod system;
pub mod timezone;

use crate::heap::Oop;
use crate::interp::{Halt, Vm};
use crate::VmError;
use index::Primitive as P;

/// Why a primitive did not answer.
#[derive(Debug)]
pub enum PrimError {
    /// The primitive does not apply: run the method's Smalltalk code.
    Fail,
    /// Stop the evaluation (exit, an unhandled error, a VM failure).
    Halt(Halt),
}

impl From<VmError> for PrimError {
    fn from(e: VmError) -> PrimError {
        match e {
            // Let the method's code report it as a Smalltalk error.
            VmError::HeapExhausted { .. } => PrimError::Fail,
            other => PrimError::Halt(Halt::Vm(other)),
        }
    }
}

impl From<Halt> for PrimError {
    fn from(h: Halt) -> PrimError {
        PrimError::Halt(h)
    }
}

pub type PrimResult = Result<(), PrimError>;

/// Fails the primitive unless `condition` holds.
#[inline]
pub fn require(condition: bool) -> Result<(), PrimError> {
    if condition {
        Ok(())
    } else {
        Err(PrimError::Fail)
    }
}

/// The receiver of a primitive with `argc` arguments.
#[inline]
pub fn receiver(vm: &Vm, argc: usize) -> Oop {
    vm.stack_value(argc)
}

/// Argument `i` (0-based) of a primitive with `argc` arguments.
#[inline]
pub fn arg(vm: &Vm, argc: usize, i: usize) -> Oop {
    vm.stack_value(argc - 1 - i)
}

/// Succeeds, answering `value` in place of the receiver and arguments.
#[inline]
pub fn answer(vm: &mut Vm, argc: usize, value: Oop) -> PrimResult {
    vm.pop_n(argc + 1);
    vm.push(value);
    Ok(())
}

/// Runs primitive `number` for a send of `argc` arguments.
pub fn dispatch(vm: &mut Vm, number: usize, argc: usize) -> PrimResult {
    if number >= usize::from(smalt_compiler::bytecode::quick::FIRST) {
        return quick::run(vm, number, argc);
    }
    let Some(prim) = index::Primitive::from_number(number) else { return Err(PrimError::Fail) };
    match prim {
        P::SmallIntegerAdd
        | P::SmallIntegerSubtract
        | P::SmallIntegerLess
        | P::SmallIntegerGreater
        | P::SmallIntegerLessOrEqual
        | P::SmallIntegerGreaterOrEqual
        | P::SmallIntegerEqual
        | P::SmallIntegerNotEqual
        | P::SmallIntegerMultiply
        | P::SmallIntegerDivide
        | P::SmallIntegerModulo
        | P::SmallIntegerFloorDivide
        | P::SmallIntegerQuo
        | P::SmallIntegerBitAnd
        | P::SmallIntegerBitOr
        | P::SmallIntegerBitXor
        | P::SmallIntegerBitShift
        | P::SmallIntegerRem
        | P::SmallIntegerAsFloat
        | P::IntegerAsCharacter => integer::small_integer(vm, prim, argc),
        P::IntegerAdd
        | P::IntegerSubtract
        | P::IntegerLess
        | P::IntegerGreater
        | P::IntegerLessOrEqual
        | P::IntegerGreaterOrEqual
        | P::IntegerEqual
        | P::IntegerNotEqual
        | P::IntegerMultiply
        | P::IntegerDivide
        | P::IntegerModulo
        | P::IntegerFloorDivide
        | P::IntegerQuo
        | P::IntegerBitAnd
        | P::IntegerBitOr
        | P::IntegerBitXor
        | P::IntegerBitShift
        | P::IntegerRem
        | P::IntegerAsFloat
        | P::IntegerPrintStringBase
        | P::IntegerGcd
        | P::IntegerHash
        | P::IntegerHighBit
        | P::IntegerSqrtFloor => integer::large_integer(vm, prim, argc),
        P::FloatAdd
        | P::FloatSubtract
        | P::FloatLess
        | P::FloatGreater
        | P::FloatLessOrEqual
        | P::FloatGreaterOrEqual
        | P::FloatEqual
        | P::FloatNotEqual
        | P::FloatMultiply
        | P::FloatDivide
        | P::FloatTruncated
        | P::FloatFractionPart
        | P::FloatExponent
        | P::FloatTimesTwoPower
        | P::FloatSqrt
        | P::FloatSin
        | P::FloatCos
        | P::FloatArcTan
        | P::FloatLn
        | P::FloatExp
        | P::FloatPrintString
        | P::FloatFloor
        | P::FloatCeiling
        | P::FloatRaisedTo
        | P::FloatHash
        | P::FloatTan
        | P::FloatArcSin
        | P::FloatArcCos
        | P::FloatLog10
        | P::FloatRounded => float::float(vm, prim, argc),
        P::StringAsNumber => float::string_as_number(vm, argc),
        P::BasicAt
        | P::BasicAtPut
        | P::BasicSize
        | P::BasicNew
        | P::BehaviorNew
        | P::BasicNewSized
        | P::InstVarAt
        | P::InstVarAtPut
        | P::IdentityHash
        | P::Identical
        | P::Class
        | P::ShallowCopy
        | P::BecomeForward
        | P::ReplaceFromToWithStartingAt
        | P::CharacterValueOf
        | P::CharacterValue
        | P::AllInstances
        | P::ChangeClass => object::object(vm, prim, argc),
        P::StringAt
        | P::StringAtPut
        | P::StringHash
        | P::StringAsSymbol
        | P::StringEqual
        | P::StringCompare
        | P::SymbolNumArgs
        | P::StringAsUppercase
        | P::StringAsLowercase => string::string(vm, prim, argc),
        P::Perform
        | P::PerformWithArguments
        | P::PerformWithArgumentsInSuperclass
        | P::BlockValue
        | P::BlockValueWithArguments
        | P::ContextTerminateTo
        | P::ContextFindNextUnwindContextUpTo
        | P::ContextFindNextHandlerContext
        | P::ContextRestart
        | P::ContextCurrentLine
        | P::ContextResume
        | P::UnwindMarker
        | P::HandlerMarker => control::control(vm, prim, argc),
        P::WriteStdout
        | P::WriteStderr
        | P::FlushStdout
        | P::Abort
        | P::Exit
        | P::DefineSubclass
        | P::Compile
        | P::RemoveSelector
        | P::LookupSelector
        | P::AddSelector
        | P::MillisecondClock
        | P::MicrosecondClock
        | P::GarbageCollect
        | P::CodeObjectAt
        | P::CodeNumObjects
        | P::Evaluate
        | P::Arguments
        | P::GetEnv
        | P::FileIn
        | P::DeclareGlobal
        | P::SaveImage
        | P::SessionId => system::system(vm, prim, argc),
        P::FileOpen
        | P::FileClose
        | P::FileReadText
        | P::FileReadBytes
        | P::FileWrite
        | P::FilePosition
        | P::FileSetPosition
        | P::FileSize
        | P::PathInfo
        | P::PathReadContents
        | P::PathWriteContents
        | P::PathDeleteFile
        | P::PathCreateDirectory
        | P::PathDeleteDirectory
        | P::PathListDirectory
        | P::PathRename
        | P::PathCopyFile
        | P::WorkingDirectory
        | P::StdinNextLine
        | P::StdinRead
        | P::StdinAtEnd
        | P::StringUtf8Encoded
        | P::ByteArrayUtf8Decoded => file::file(vm, prim, argc),
        P::ProcessorInstall
        | P::ProcessResume
        | P::ProcessSuspend
        | P::ProcessSetPriority
        | P::ProcessorYield
        | P::ProcessorTerminateActive
        | P::ProcessorSignalAfterMilliseconds
        | P::ProcessorCancelTimers
        | P::SemaphoreSignal
        | P::SemaphoreWait
        | P::BlockAsContext
        | P::ContextContinue
        | P::Interrupted => process::process(vm, prim, argc),
        P::HeapUsage => system::system(vm, prim, argc),
        P::DictionaryScanFor | P::DictionaryAtIfAbsent | P::DictionaryAtPut | P::DictionaryAtIfPresent => {
            collection::collection(vm, prim, argc)
        }
        P::ArrayedCopyFromTo
        | P::ArrayedConcatenate
        | P::WriteStreamNextPut
        | P::WriteStreamNextPutAll
        | P::ArrayedNew => arrayed::arrayed(vm, prim, argc),
        P::SaveDelta => system::save_primitive(vm, argc, crate::run::ImageKind::Delta),
        P::CharacterIsLetter
        | P::CharacterIsDigit
        | P::CharacterIsUppercase
        | P::CharacterIsLowercase
        | P::CharacterIsSeparator
        | P::CharacterIsPunctuation
        | P::CharacterAsUppercase
        | P::CharacterAsLowercase
        | P::CharacterDigitValue => character::character(vm, prim, argc),
        P::LocalTimeZoneOffset => timezone::timezone(vm, prim, argc),
        P::ContextTempAt
        | P::ContextTempAtPut
        | P::ExceptionSignalerContext
        | P::ContextNextHandlerContext
        | P::ContextReturn => exception::exception(vm, prim, argc),
    }
}
