//! The primitive numbers: what `<primitive: n>` in the stdlib means.
//!
//! A primitive either succeeds, answering a value in place of running the
//! method, or fails, and then the method's Smalltalk code runs (the fallback)
//! with the same receiver and arguments. Unless a line says otherwise a
//! primitive fails on an argument of the wrong kind, never signals.
//! "Integer" means SmallInteger or LargePositive/NegativeInteger; integer
//! results are always normalised (a SmallInteger when they fit).

/// Every primitive, by number.
#[repr(u16)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    // SmallInteger: receiver and argument SmallIntegers; fail on overflow.
    SmallIntegerAdd = 1,
    SmallIntegerSubtract = 2,
    SmallIntegerLess = 3,
    SmallIntegerGreater = 4,
    SmallIntegerLessOrEqual = 5,
    SmallIntegerGreaterOrEqual = 6,
    SmallIntegerEqual = 7,
    SmallIntegerNotEqual = 8,
    SmallIntegerMultiply = 9,
    /// Exact division only: fails when the quotient is not an integer or the divisor is 0.
    SmallIntegerDivide = 10,
    /// `\\`: modulo, rounded toward negative infinity; fails on 0.
    SmallIntegerModulo = 11,
    /// `//`: quotient rounded toward negative infinity; fails on 0.
    SmallIntegerFloorDivide = 12,
    /// `quo:`: quotient truncated toward zero; fails on 0.
    SmallIntegerQuo = 13,
    SmallIntegerBitAnd = 14,
    SmallIntegerBitOr = 15,
    SmallIntegerBitXor = 16,
    SmallIntegerBitShift = 17,
    /// `rem:`: remainder truncated toward zero; fails on 0.
    SmallIntegerRem = 18,
    SmallIntegerAsFloat = 19,
    /// `Integer>>asCharacter`: the Character with this code point (0..=0x10FFFF).
    IntegerAsCharacter = 20,

    // Integer: receiver and argument any Integers.
    IntegerAdd = 21,
    IntegerSubtract = 22,
    IntegerLess = 23,
    IntegerGreater = 24,
    IntegerLessOrEqual = 25,
    IntegerGreaterOrEqual = 26,
    IntegerEqual = 27,
    IntegerNotEqual = 28,
    IntegerMultiply = 29,
    /// Exact division only, as `SmallIntegerDivide`.
    IntegerDivide = 30,
    IntegerModulo = 31,
    IntegerFloorDivide = 32,
    IntegerQuo = 33,
    IntegerBitAnd = 34,
    IntegerBitOr = 35,
    IntegerBitXor = 36,
    IntegerBitShift = 37,
    IntegerRem = 38,
    /// The nearest Float (may be infinite for huge integers).
    IntegerAsFloat = 39,
    /// `printString: base` (2..=36), upper-case digits, `-` for negatives: a
    /// String. Sent without an argument (`printString`), base 10.
    IntegerPrintStringBase = 40,
    IntegerGcd = 41,
    /// A SmallInteger hash of a LargeInteger, equal for equal values.
    IntegerHash = 42,
    /// `highBit`: the 1-based index of the highest set bit of a non-negative Integer (0 for 0).
    IntegerHighBit = 43,
    /// `sqrtFloor` of a non-negative Integer.
    IntegerSqrtFloor = 44,

    // Float: receiver a Float; argument a Float or an Integer (converted).
    FloatAdd = 50,
    FloatSubtract = 51,
    FloatLess = 52,
    FloatGreater = 53,
    FloatLessOrEqual = 54,
    FloatGreaterOrEqual = 55,
    FloatEqual = 56,
    FloatNotEqual = 57,
    FloatMultiply = 58,
    /// Fails when the divisor is zero.
    FloatDivide = 59,
    /// Toward zero, as an Integer; fails on NaN and infinities.
    FloatTruncated = 60,
    FloatFractionPart = 61,
    /// The binary exponent, as `frexp` gives it minus one (Pharo's `exponent`).
    FloatExponent = 62,
    FloatTimesTwoPower = 63,
    /// Fails for negative receivers (the fallback signals).
    FloatSqrt = 64,
    FloatSin = 65,
    FloatCos = 66,
    FloatArcTan = 67,
    /// Natural logarithm; fails for receivers <= 0.
    FloatLn = 68,
    FloatExp = 69,
    /// The shortest text that reads back as the same Float, in Pharo's form:
    /// `0.1`, `100.0`, `1.0e100`, `1.0e-10`, `-2.5`, `Float infinity` prints
    /// `Float infinity`, NaN prints `Float nan`.
    FloatPrintString = 70,
    /// As an Integer, toward negative infinity; fails on NaN and infinities.
    FloatFloor = 71,
    /// As an Integer, toward positive infinity; fails on NaN and infinities.
    FloatCeiling = 72,
    /// `raisedTo:` with a Float or Integer exponent.
    FloatRaisedTo = 73,
    /// Equal Floats hash equally; a Float equal to an Integer hashes as that Integer.
    FloatHash = 74,
    FloatTan = 75,
    FloatArcSin = 76,
    FloatArcCos = 77,
    FloatLog10 = 78,
    /// To the nearest Integer, halves away from zero; fails on NaN and infinities.
    FloatRounded = 79,

    // Objects.
    /// `basicAt:`: 1-based, over the indexed part only. Pointer objects answer
    /// the slot; byte objects a SmallInteger 0..=255; word objects a
    /// non-negative Integer. Fails on a bad index or a non-indexable receiver.
    BasicAt = 100,
    /// `basicAt:put:`, as `BasicAt`; answers the value. Fails on a value that does not fit.
    BasicAtPut = 101,
    /// `basicSize`: the number of indexed elements (0 for non-indexable objects).
    BasicSize = 102,
    /// `basicNew` on a class whose instances are not indexable.
    BasicNew = 103,
    /// `basicNew: n` on a class whose instances are indexable.
    BasicNewSized = 104,
    /// `instVarAt: i`: 1-based, named slots then indexed slots (pointer objects only).
    InstVarAt = 105,
    InstVarAtPut = 106,
    /// A SmallInteger, fixed for the object's life (and across images).
    IdentityHash = 107,
    Identical = 108,
    Class = 109,
    /// A copy sharing the receiver's slots' values.
    ShallowCopy = 110,
    /// `becomeForward:`: every reference to the receiver now refers to the argument.
    BecomeForward = 111,
    /// `replaceFrom: start to: stop with: replacement startingAt: repStart` between
    /// objects of the same kind (pointers with pointers, bytes with bytes,
    /// strings with strings); fails on bad bounds or mixed kinds.
    ReplaceFromToWithStartingAt = 112,
    /// `perform: selector` and `perform: selector with: ...` (any count).
    /// Fails when the argument count does not match the selector.
    Perform = 114,
    /// `perform: selector withArguments: anArray`.
    PerformWithArguments = 115,
    /// `perform: selector withArguments: anArray inSuperclass: aClass`.
    PerformWithArgumentsInSuperclass = 116,
    /// `Character class>>value: codePoint`.
    CharacterValueOf = 117,
    /// `Character>>value` (also `asInteger`): the code point.
    CharacterValue = 118,
    /// `String>>at:` (String, Symbol, WideString): a Character.
    StringAt = 119,
    /// `String>>at:put:` with a Character; a byte String fails for code points above 255.
    StringAtPut = 120,
    /// The string hash (22 bits): equal for equal strings, and a Symbol's identity hash.
    StringHash = 121,
    /// `asSymbol`: the unique Symbol with the receiver's characters.
    StringAsSymbol = 122,
    /// `=` between two strings (any of String, Symbol, WideString): same characters.
    StringEqual = 123,
    /// `compare: aString`: -1, 0 or 1 in code point order.
    StringCompare = 124,
    /// Reads a Smalltalk number literal (`42`, `-3.5`, `16r1F`, `1e10`, `3/4` is
    /// not one) from the whole receiver, surrounding white space allowed:
    /// answers the Integer or Float, or nil if the text is not a number.
    StringAsNumber = 125,
    /// `Symbol>>numArgs`.
    SymbolNumArgs = 127,
    /// A String with the characters of the receiver in upper (`asUppercase`)
    /// case, by Unicode's full mapping (`'straße'` gives `'STRASSE'`); a
    /// Symbol answers a Symbol.
    StringAsUppercase = 128,
    StringAsLowercase = 129,
    /// `Behavior>>allInstances`: an Array.
    AllInstances = 130,
    /// `Object>>changeClassTo: aClass` for classes of the same shape.
    ChangeClass = 131,

    // Blocks and contexts.
    /// `value`, `value:` ... `value:value:value:value:`, `valueNoContextSwitch`;
    /// fails when the argument count differs from the block's.
    BlockValue = 140,
    /// `valueWithArguments: anArray`.
    BlockValueWithArguments = 141,
    /// `Context>>terminateTo: aContext`: every context between the receiver
    /// (exclusive) and aContext (exclusive) is marked dead; the receiver's
    /// sender becomes aContext. Fails when aContext is not a sender of the receiver.
    ContextTerminateTo = 143,
    /// `Context>>findNextUnwindContextUpTo: aContext`: the first context
    /// below the receiver (exclusive) and above aContext (exclusive; nil
    /// means the bottom) whose method has primitive 198, or nil.
    ContextFindNextUnwindContextUpTo = 144,
    /// `Context>>findNextHandlerContext`: the receiver or the first of its
    /// senders whose method has primitive 199, or nil.
    ContextFindNextHandlerContext = 145,
    /// `Context>>restart`-helper: the receiver (which must be a sender of the
    /// active context, already unwound to with terminateTo:) starts over
    /// from its first bytecode with its non-argument temps nil, and becomes
    /// the active context. Never returns to the caller.
    ContextRestart = 146,
    /// `Context>>currentLine`: the source line of the receiver's pc (0 if unknown).
    ContextCurrentLine = 147,
    /// `Context>>return: value` helper: the receiver must be a sender of the
    /// active context (already unwound to with terminateTo:); it resumes as
    /// if the send it is waiting on answered value. Never returns to the caller.
    ContextResume = 148,
    /// Marks `ensure:`, `ifCurtailed:` and `Exception>>privRunHandler` for
    /// unwinding; always fails.
    UnwindMarker = 198,
    /// Marks `on:do:` for exception handling; always fails.
    HandlerMarker = 199,

    // System.
    /// `writeStdout: aString` (String, Symbol, WideString, ByteArray): UTF-8 to stdout.
    WriteStdout = 200,
    /// `writeStderr: aString`, as WriteStdout, to stderr (stdout is flushed first).
    WriteStderr = 201,
    FlushStdout = 202,
    /// `abortWith: anException`: the current evaluation stops here; the VM's
    /// caller (the CLI or the REPL) is told it ended in that unhandled exception.
    Abort = 203,
    /// `exit: status`: flush and end the process with that status.
    Exit = 204,
    /// `Behavior>>primDefineSubclass: name instanceVariableNames: ivarString
    /// classVariableNames: cvarString category: aString shape: aSymbol`
    /// (#inherit #fixed #pointer #byte #word #weak): defines or redefines a
    /// subclass of the receiver, answers it. Fails with a bad shape or name.
    DefineSubclass = 205,
    /// `Behavior>>primCompile: sourceString classified: category`: compiles
    /// (classic syntax) and installs; answers the selector, or a String
    /// holding the compile error text.
    Compile = 206,
    /// `Behavior>>removeSelector: aSymbol`: answers the removed method or nil.
    RemoveSelector = 207,
    /// `Behavior>>lookupSelector: aSymbol`: the method found along the
    /// superclass chain, or nil.
    LookupSelector = 208,
    /// `Behavior>>addSelector: aSymbol withMethod: aCompiledMethod`.
    AddSelector = 209,
    /// `Time millisecondClockValue`: milliseconds of a monotonic clock.
    MillisecondClock = 210,
    /// Microseconds since the Unix epoch, wall clock.
    MicrosecondClock = 211,
    /// `Smalltalk garbageCollect`: a full collection; answers old-space bytes in use.
    GarbageCollect = 212,
    /// `CompiledCode>>objectAt: i`: slot i (1-based: 1 is the header).
    CodeObjectAt = 214,
    /// `CompiledCode>>numObjects`: the header's pointer slot count plus one.
    CodeNumObjects = 215,
    /// `Smalltalk evaluate: aString`: compiles and runs statements; answers
    /// the last value, or fails (the fallback signals) on a compile error.
    Evaluate = 216,
    /// `Smalltalk arguments`: an Array of Strings.
    Arguments = 217,
    /// `Smalltalk getenv: aString`: a String or nil.
    GetEnv = 218,
    /// `Smalltalk fileIn: path`: compiles and runs a source file.
    FileIn = 219,
    /// `SystemDictionary>>at: aSymbol put: value`: binds a global, taking
    /// over the binding code compiled earlier left in Undeclared, so that
    /// code sees the value. Answers value.
    DeclareGlobal = 220,
    /// `Smalltalk primSaveImage: path`: saves the world, the running
    /// process included. Answers false in the process that saved, true when
    /// the image is booted later and execution resumes here, or a String
    /// naming the path and the OS error when the save failed (the old image
    /// is then untouched).
    SaveImage = 230,
    /// `Smalltalk sessionId`: a SmallInteger that is new in every process
    /// running a world, for telling a handle opened before an image save
    /// from one opened after the image was booted.
    SessionId = 231,
    /// `Smalltalk primSaveDelta: path`: as SaveImage, but writes a delta
    /// image: only the pages changed since the base image was booted.
    SaveDelta = 232,

    // Files, directories and standard input (prims::file). A primitive that
    // meets an operating-system error answers `{code. reason}`: an Array of
    // a SmallInteger (prims::file::ErrorCode) and the OS's words for it.
    /// `primOpen: path mode: m` (0 read, 1 write (create, truncate), 2 append
    /// (create), 3 read-write (create), 4 read-write a new file (fails if it
    /// exists), 5 read-write an existing file, 6 read-write (create,
    /// truncate)): a SmallInteger handle.
    FileOpen = 240,
    /// `primClose: handle`: nil.
    FileClose = 241,
    /// `primReadText: handle max: n`: up to n bytes (a little more to finish a
    /// character) decoded from UTF-8 as a String or WideString; '' at the end.
    FileReadText = 242,
    /// `primReadBytes: handle max: n`: a ByteArray of up to n bytes, empty at the end.
    FileReadBytes = 243,
    /// `primWrite: handle data: aStringOrByteArray`: a String as UTF-8, a ByteArray as is; the byte count.
    FileWrite = 244,
    /// `primPosition: handle`: the byte offset of the next read or write.
    FilePosition = 245,
    /// `primPosition: handle put: n`: nil.
    FileSetPosition = 246,
    /// `primSize: handle`: the file's size in bytes.
    FileSize = 247,
    /// `primInfo: path`: nil when nothing is there, else `{kind. size. modified}`:
    /// kind 1 a file, 2 a directory, 3 anything else; modified in seconds since the Unix epoch.
    PathInfo = 250,
    /// `primContentsOf: path binary: aBoolean`: the whole file as a String (UTF-8) or a ByteArray.
    PathReadContents = 251,
    /// `primWrite: path contents: aStringOrByteArray append: aBoolean`: creates or
    /// replaces (or appends to) the file; the byte count.
    PathWriteContents = 252,
    /// `primDeleteFile: path`: nil.
    PathDeleteFile = 253,
    /// `primCreateDirectory: path parents: aBoolean`: nil.
    PathCreateDirectory = 254,
    /// `primDeleteDirectory: path recursive: aBoolean`: nil.
    PathDeleteDirectory = 255,
    /// `primEntriesOf: path`: the names in a directory, sorted, an Array of Strings.
    PathListDirectory = 256,
    /// `primRename: from to: to`: nil.
    PathRename = 257,
    /// `primCopy: from to: to`: nil.
    PathCopyFile = 258,
    /// `primWorkingDirectory`: the process's current directory, a String.
    WorkingDirectory = 259,
    /// `primNextLine`: the next line of standard input without its line
    /// end (LF or CR LF), or nil at the end. Flushes stdout first.
    StdinNextLine = 260,
    /// `primRead: n`: what standard input has ready (waiting for some if
    /// none is), up to about n bytes, decoded from UTF-8; '' at the end.
    StdinRead = 261,
    /// `primAtEnd`: whether standard input is at its end (waits for input or the end).
    StdinAtEnd = 262,
    /// `String>>utf8Encoded`: a ByteArray.
    StringUtf8Encoded = 263,
    /// `ByteArray>>utf8Decoded`: a String or WideString (bad bytes become U+FFFD).
    ByteArrayUtf8Decoded = 264,
    // Characters over all of Unicode (prims::character): the receiver a
    // Character. Letters are general category L*, digits Nd, punctuation P*.
    /// `Character>>isLetter`.
    CharacterIsLetter = 290,
    /// `Character>>isDigit`: a decimal digit of any script (`$٣ isDigit`).
    CharacterIsDigit = 291,
    /// `Character>>isUppercase`: general category Lu.
    CharacterIsUppercase = 292,
    /// `Character>>isLowercase`: general category Ll.
    CharacterIsLowercase = 293,
    /// `Character>>isSeparator`: space, tab, LF, form feed, CR, and above
    /// ASCII any White_Space character.
    CharacterIsSeparator = 294,
    /// `Character>>isPunctuation`: general category P*.
    CharacterIsPunctuation = 295,
    /// `Character>>asUppercase`: the simple mapping, the receiver when there is none.
    CharacterAsUppercase = 296,
    /// `Character>>asLowercase`, as CharacterAsUppercase.
    CharacterAsLowercase = 297,
    /// `Character>>digitValue`: 0-9 for any decimal digit, 10-35 for ASCII letters, else -1.
    CharacterDigitValue = 298,
    /// `DateAndTime class>>primLocalOffsetAt: seconds civil: aBoolean`
    /// (prims::timezone): `{offset seconds. abbreviation. zone name. nil, or
    /// why the world fell back to UTC}` for the local zone at that moment;
    /// seconds since 1970-01-01T00:00 of UTC, or of the local wall clock
    /// when civil is true (the offset is then the one that wall time is
    /// read with: before the change, for a time skipped or repeated by one).
    /// Fails out of range.
    LocalTimeZoneOffset = 299,
    // Processes (stdlib/130-Process.st). The ones that switch processes
    // answer before the switch.
    /// `ProcessorScheduler>>primInstall`: the receiver becomes the VM's
    /// scheduler. Fails unless it has a run queue per priority and its
    /// active process is its main process.
    ProcessorInstall = 300,
    /// `Process>>resume`: a suspended process becomes ready; it runs at
    /// once if it outranks the running one. Fails unless it is suspended.
    ProcessResume = 301,
    /// `Process>>suspend`: the process stops until resumed. Answers the
    /// list it was taken off (nil for the running process). Fails for a
    /// process already suspended or terminated.
    ProcessSuspend = 302,
    /// `Process>>priority: n` (1..=80); a ready process moves to that run
    /// queue, and whoever outranks the running process runs at once.
    ProcessSetPriority = 303,
    /// `Processor yield`: the running process goes behind the other ready
    /// processes of its priority.
    ProcessorYield = 304,
    /// `Processor terminateActive`: the running process ends (its unwind
    /// blocks must have run) and the next runs.
    ProcessorTerminateActive = 305,
    /// `Processor signal: aSemaphore afterMilliseconds: n`: arms a timer.
    ProcessorSignalAfterMilliseconds = 306,
    /// `Processor cancelTimersFor: aSemaphore`: disarms its timers.
    ProcessorCancelTimers = 307,
    /// `Semaphore>>signal`: the first waiting process becomes ready (and
    /// runs at once if it outranks the running one), or the signal is kept.
    SemaphoreSignal = 308,
    /// `Semaphore>>wait`: takes a kept signal, or the running process waits.
    SemaphoreWait = 309,
    /// `BlockClosure>>asContext`: a context, with no sender, that evaluates
    /// the receiver (a block without arguments).
    BlockAsContext = 310,
    /// `Context>>privContinue`: the receiver, a sender of the running
    /// context, goes on where the VM interrupted it (`userInterrupt`),
    /// with nothing pushed. Never returns to the caller.
    ContextContinue = 311,
    /// `Smalltalk primInterrupted`: the evaluation ends as interrupted
    /// (status 130 for a program; the REPL shows its prompt again).
    Interrupted = 312,
    /// `Smalltalk heapUsage`: `{bytes of old space in use. the most it can
    /// hold}` (the limit follows from --max-heap).
    HeapUsage = 313,
    /// `Dictionary>>scanFor: key`: what `HashedCollection>>scanFor:`
    /// answers, for a Dictionary itself whose keys (the one sought and the
    /// ones met on the way) are Strings, Symbols or SmallIntegers; fails
    /// for anything else, and the library's loop runs.
    DictionaryScanFor = 314,
    /// `Dictionary>>at: key ifAbsent: aBlock` when scanFor: would run in
    /// the VM (see DictionaryScanFor) and the key is there: its value.
    /// Fails when it is absent, and the library's code evaluates aBlock.
    DictionaryAtIfAbsent = 330,
    /// `Dictionary>>at: key put: value` when the key is there (as for
    /// DictionaryAtIfAbsent): the value replaces the old one; answers value.
    /// Fails when the key is new: the library adds it (and may grow).
    DictionaryAtPut = 331,
    /// `Dictionary>>at: key ifPresent: aBlock` (as for DictionaryAtIfAbsent):
    /// nil when the key is absent, else aBlock (a block of one argument or
    /// none) runs with the value, as `cull:` would run it. Fails for other
    /// blocks and keys, and the library's code runs.
    DictionaryAtIfPresent = 336,
    // ArrayedCollection and WriteStream (prims::arrayed), for an Array,
    // String, Symbol, WideString or ByteArray itself; fail otherwise.
    /// `ArrayedCollection>>copyFrom: start to: stop`: a new collection of
    /// the receiver's species; empty when stop < start; fails unless
    /// 1 <= start and stop <= size.
    ArrayedCopyFromTo = 332,
    /// `ArrayedCollection>>,` (and String's): text with text (a WideString
    /// if either is one, else a String), Array with Array, ByteArray with ByteArray.
    ArrayedConcatenate = 333,
    /// `WriteStream>>nextPut:` when the collection has room and can hold
    /// the element (a String only Characters up to 255); answers it.
    WriteStreamNextPut = 334,
    /// `WriteStream>>nextPutAll:` when all of it fits in the room left:
    /// text into a String (String or Symbol) or WideString (any text),
    /// an Array into an Array, a ByteArray into a ByteArray.
    WriteStreamNextPutAll = 335,
    /// `ArrayedCollection class>>new: n` for Array, String, WideString and
    /// ByteArray themselves: what their `basicNew: n` answers. Fails for
    /// other classes, whose `basicNew:` may be their own.
    ArrayedNew = 337,
    // The exception system's reflection (prims::exception), 340-349.
    /// `Context>>tempAt: index`: what `basicAt:` answers (the context's
    /// temps are its indexed slots), read in place for a Context itself.
    ContextTempAt = 340,
    /// `Context>>tempAt: index put: value`: what `basicAt:put:` does.
    ContextTempAtPut = 341,
    /// `Exception>>signalerContext`: from the exception's signalContext
    /// on, the first context whose receiver is neither the exception nor
    /// its class; nil if none. Fails unless the receiver has Exception's
    /// slots and `class` is Object's, or on a sender that is not a Context.
    ExceptionSignalerContext = 342,
    /// `Context>>nextHandlerContext`: the first of the receiver's senders
    /// that is an `on:do:` activation (see HandlerMarker); nil if none.
    /// Fails if a sender on the way is not a Context.
    ContextNextHandlerContext = 343,
    /// `Context>>return: value`: unwinds to the receiver's sender and
    /// resumes it with value, as `resume:through:` and `privResume:` do,
    /// when every unwind context still pending on the way has no unwind
    /// block (nil, whose `value` is quick). Fails otherwise.
    ContextReturn = 344,
    /// `Behavior>>new`: `basicNew initialize` in one step when that is
    /// all it would do: the receiver's `basicNew` is Behavior's (primitive
    /// 103, whose work this does) and its instances' `initialize` is a
    /// quick `^self`. Fails otherwise (the method then sends both), and
    /// wherever primitive 103 would.
    BehaviorNew = 345,
}

impl Primitive {
    /// The primitive with this number, if there is one.
    pub fn from_number(number: usize) -> Option<Primitive> {
        use Primitive as P;
        Some(match number {
            1 => P::SmallIntegerAdd,
            2 => P::SmallIntegerSubtract,
            3 => P::SmallIntegerLess,
            4 => P::SmallIntegerGreater,
            5 => P::SmallIntegerLessOrEqual,
            6 => P::SmallIntegerGreaterOrEqual,
            7 => P::SmallIntegerEqual,
            8 => P::SmallIntegerNotEqual,
            9 => P::SmallIntegerMultiply,
            10 => P::SmallIntegerDivide,
            11 => P::SmallIntegerModulo,
            12 => P::SmallIntegerFloorDivide,
            13 => P::SmallIntegerQuo,
            14 => P::SmallIntegerBitAnd,
            15 => P::SmallIntegerBitOr,
            16 => P::SmallIntegerBitXor,
            17 => P::SmallIntegerBitShift,
            18 => P::SmallIntegerRem,
            19 => P::SmallIntegerAsFloat,
            20 => P::IntegerAsCharacter,
            21 => P::IntegerAdd,
            22 => P::IntegerSubtract,
            23 => P::IntegerLess,
            24 => P::IntegerGreater,
            25 => P::IntegerLessOrEqual,
            26 => P::IntegerGreaterOrEqual,
            27 => P::IntegerEqual,
            28 => P::IntegerNotEqual,
            29 => P::IntegerMultiply,
            30 => P::IntegerDivide,
            31 => P::IntegerModulo,
            32 => P::IntegerFloorDivide,
            33 => P::IntegerQuo,
            34 => P::IntegerBitAnd,
            35 => P::IntegerBitOr,
            36 => P::IntegerBitXor,
            37 => P::IntegerBitShift,
            38 => P::IntegerRem,
            39 => P::IntegerAsFloat,
            40 => P::IntegerPrintStringBase,
            41 => P::IntegerGcd,
            42 => P::IntegerHash,
            43 => P::IntegerHighBit,
            44 => P::IntegerSqrtFloor,
            50 => P::FloatAdd,
            51 => P::FloatSubtract,
            52 => P::FloatLess,
            53 => P::FloatGreater,
            54 => P::FloatLessOrEqual,
            55 => P::FloatGreaterOrEqual,
            56 => P::FloatEqual,
            57 => P::FloatNotEqual,
            58 => P::FloatMultiply,
            59 => P::FloatDivide,
            60 => P::FloatTruncated,
            61 => P::FloatFractionPart,
            62 => P::FloatExponent,
            63 => P::FloatTimesTwoPower,
            64 => P::FloatSqrt,
            65 => P::FloatSin,
            66 => P::FloatCos,
            67 => P::FloatArcTan,
            68 => P::FloatLn,
            69 => P::FloatExp,
            70 => P::FloatPrintString,
            71 => P::FloatFloor,
            72 => P::FloatCeiling,
            73 => P::FloatRaisedTo,
            74 => P::FloatHash,
            75 => P::FloatTan,
            76 => P::FloatArcSin,
            77 => P::FloatArcCos,
            78 => P::FloatLog10,
            79 => P::FloatRounded,
            100 => P::BasicAt,
            101 => P::BasicAtPut,
            102 => P::BasicSize,
            103 => P::BasicNew,
            104 => P::BasicNewSized,
            105 => P::InstVarAt,
            106 => P::InstVarAtPut,
            107 => P::IdentityHash,
            108 => P::Identical,
            109 => P::Class,
            110 => P::ShallowCopy,
            111 => P::BecomeForward,
            112 => P::ReplaceFromToWithStartingAt,
            114 => P::Perform,
            115 => P::PerformWithArguments,
            116 => P::PerformWithArgumentsInSuperclass,
            117 => P::CharacterValueOf,
            118 => P::CharacterValue,
            119 => P::StringAt,
            120 => P::StringAtPut,
            121 => P::StringHash,
            122 => P::StringAsSymbol,
            123 => P::StringEqual,
            124 => P::StringCompare,
            125 => P::StringAsNumber,
            127 => P::SymbolNumArgs,
            128 => P::StringAsUppercase,
            129 => P::StringAsLowercase,
            130 => P::AllInstances,
            131 => P::ChangeClass,
            140 => P::BlockValue,
            141 => P::BlockValueWithArguments,
            143 => P::ContextTerminateTo,
            144 => P::ContextFindNextUnwindContextUpTo,
            145 => P::ContextFindNextHandlerContext,
            146 => P::ContextRestart,
            147 => P::ContextCurrentLine,
            148 => P::ContextResume,
            198 => P::UnwindMarker,
            199 => P::HandlerMarker,
            200 => P::WriteStdout,
            201 => P::WriteStderr,
            202 => P::FlushStdout,
            203 => P::Abort,
            204 => P::Exit,
            205 => P::DefineSubclass,
            206 => P::Compile,
            207 => P::RemoveSelector,
            208 => P::LookupSelector,
            209 => P::AddSelector,
            210 => P::MillisecondClock,
            211 => P::MicrosecondClock,
            212 => P::GarbageCollect,
            214 => P::CodeObjectAt,
            215 => P::CodeNumObjects,
            216 => P::Evaluate,
            217 => P::Arguments,
            218 => P::GetEnv,
            219 => P::FileIn,
            220 => P::DeclareGlobal,
            230 => P::SaveImage,
            231 => P::SessionId,
            232 => P::SaveDelta,
            240 => P::FileOpen,
            241 => P::FileClose,
            242 => P::FileReadText,
            243 => P::FileReadBytes,
            244 => P::FileWrite,
            245 => P::FilePosition,
            246 => P::FileSetPosition,
            247 => P::FileSize,
            250 => P::PathInfo,
            251 => P::PathReadContents,
            252 => P::PathWriteContents,
            253 => P::PathDeleteFile,
            254 => P::PathCreateDirectory,
            255 => P::PathDeleteDirectory,
            256 => P::PathListDirectory,
            257 => P::PathRename,
            258 => P::PathCopyFile,
            259 => P::WorkingDirectory,
            260 => P::StdinNextLine,
            261 => P::StdinRead,
            262 => P::StdinAtEnd,
            263 => P::StringUtf8Encoded,
            264 => P::ByteArrayUtf8Decoded,
            300 => P::ProcessorInstall,
            301 => P::ProcessResume,
            302 => P::ProcessSuspend,
            303 => P::ProcessSetPriority,
            304 => P::ProcessorYield,
            305 => P::ProcessorTerminateActive,
            306 => P::ProcessorSignalAfterMilliseconds,
            307 => P::ProcessorCancelTimers,
            308 => P::SemaphoreSignal,
            309 => P::SemaphoreWait,
            290 => P::CharacterIsLetter,
            291 => P::CharacterIsDigit,
            292 => P::CharacterIsUppercase,
            293 => P::CharacterIsLowercase,
            294 => P::CharacterIsSeparator,
            295 => P::CharacterIsPunctuation,
            296 => P::CharacterAsUppercase,
            297 => P::CharacterAsLowercase,
            298 => P::CharacterDigitValue,
            299 => P::LocalTimeZoneOffset,
            310 => P::BlockAsContext,
            311 => P::ContextContinue,
            312 => P::Interrupted,
            313 => P::HeapUsage,
            314 => P::DictionaryScanFor,
            330 => P::DictionaryAtIfAbsent,
            331 => P::DictionaryAtPut,
            336 => P::DictionaryAtIfPresent,
            337 => P::ArrayedNew,
            332 => P::ArrayedCopyFromTo,
            333 => P::ArrayedConcatenate,
            334 => P::WriteStreamNextPut,
            335 => P::WriteStreamNextPutAll,
            340 => P::ContextTempAt,
            341 => P::ContextTempAtPut,
            342 => P::ExceptionSignalerContext,
            343 => P::ContextNextHandlerContext,
            344 => P::ContextReturn,
            345 => P::BehaviorNew,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_maps_back_to_its_primitive() {
        let mut seen = 0;
        for n in 0..1024 {
            if let Some(p) = Primitive::from_number(n) {
                assert_eq!(p as usize, n);
                seen += 1;
            }
        }
        assert_eq!(seen, 199);
    }
}
