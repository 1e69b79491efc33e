//! Processes, Semaphores, the scheduler and timers: the primitives of
//! stdlib/130-Process.st. The scheduling itself is `interp::process`.
//!
//! A primitive that switches processes answers first, so that the answer
//! is on the stack of the process that asked when it runs again.

use super::index::Primitive as P;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::interp::Vm;
use crate::objects::layout::{process, scheduler, special};

pub fn process(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    let rcvr = receiver(vm, argc);
    let nil = vm.mem.nil();
    match prim {
        P::ProcessorInstall => {
            require(vm.is_scheduler(rcvr))?;
            vm.mem.set_special_object(special::PROCESSOR, rcvr);
            answer(vm, argc, rcvr)
        }
        P::ProcessResume => {
            require(vm.processor() != nil && vm.is_process(rcvr))?;
            // Only a suspended process: not running, not in a list, with a context.
            let list = vm.mem.heap.fetch(rcvr, process::MY_LIST);
            let ctx = vm.mem.heap.fetch(rcvr, process::SUSPENDED_CONTEXT);
            require(rcvr != vm.active_process() && list == nil && vm.is_resumable_context(ctx))?;
            answer(vm, argc, rcvr)?;
            Ok(vm.resume_process(rcvr)?)
        }
        P::ProcessSuspend => {
            require(vm.processor() != nil && vm.is_process(rcvr))?;
            if rcvr == vm.active_process() {
                answer(vm, argc, nil)?;
                return Ok(vm.suspend_active()?);
            }
            let list = vm.mem.heap.fetch(rcvr, process::MY_LIST);
            require(list != nil && list != vm.processor())?;
            vm.unlist(rcvr);
            answer(vm, argc, list)
        }
        P::ProcessSetPriority => {
            require(vm.processor() != nil && vm.is_process(rcvr))?;
            let priority = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require((1..=scheduler::PRIORITIES as i64).contains(&priority))?;
            answer(vm, argc, rcvr)?;
            Ok(vm.set_priority(rcvr, priority as usize)?)
        }
        P::ProcessorYield => {
            require(rcvr == vm.processor())?;
            answer(vm, argc, rcvr)?;
            Ok(vm.yield_active()?)
        }
        P::ProcessorTerminateActive => {
            require(rcvr == vm.processor())?;
            answer(vm, argc, nil)?;
            Ok(vm.terminate_active()?)
        }
        P::ProcessorSignalAfterMilliseconds => {
            require(rcvr == vm.processor())?;
            let sem = arg(vm, argc, 0);
            let ms = arg(vm, argc, 1).to_small_integer().ok_or(PrimError::Fail)?;
            require(vm.is_semaphore(sem))?;
            vm.add_timer(sem, ms.max(0) as u64);
            answer(vm, argc, rcvr)
        }
        P::ProcessorCancelTimers => {
            require(rcvr == vm.processor())?;
            let sem = arg(vm, argc, 0);
            vm.cancel_timers(sem);
            answer(vm, argc, rcvr)
        }
        P::SemaphoreSignal => {
            require(vm.processor() != nil && vm.is_semaphore(rcvr))?;
            answer(vm, argc, rcvr)?;
            Ok(vm.signal_semaphore(rcvr)?)
        }
        P::SemaphoreWait => {
            require(vm.processor() != nil && vm.is_semaphore(rcvr))?;
            answer(vm, argc, rcvr)?;
            Ok(vm.wait_on_semaphore(rcvr)?)
        }
        P::BlockAsContext => {
            require(vm.block_accepts(rcvr, 0))?;
            let ctx = vm.context_for_block(rcvr)?;
            answer(vm, argc, ctx)
        }
        P::ContextContinue => require(vm.is_resumable_context(rcvr) && vm.continue_context(rcvr)),
        P::Interrupted => {
            vm.flush_stdout();
            Err(PrimError::Halt(crate::interp::Halt::Interrupted))
        }
        _ => Err(PrimError::Fail),
    }
}
