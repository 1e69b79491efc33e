-- An OO simulation with polymorphic sends: an operating-system task
-- scheduler in the style of Richards. Idle, worker, handler and device
-- tasks pass packets through a scheduler; the checksum counts the packets
-- queued and the times a task was held.
local ID_IDLE, ID_WORKER, ID_HANDLER_A, ID_HANDLER_B, ID_DEVICE_A, ID_DEVICE_B = 1, 2, 3, 4, 5, 6
local KIND_DEVICE, KIND_WORK = 0, 1
local DATA_SIZE = 4
local RUNNING, RUNNABLE, SUSPENDED, HELD = 0, 1, 2, 4
local SUSPENDED_RUNNABLE = SUSPENDED | RUNNABLE

local Packet = {}
Packet.__index = Packet
function Packet.new(link, id, kind)
  return setmetatable({ link = link, id = id, kind = kind, a1 = 0, a2 = { 0, 0, 0, 0 } }, Packet)
end
function Packet:addTo(queue)
  self.link = nil
  if not queue then return self end
  local last = queue
  while last.link do last = last.link end
  last.link = self
  return queue
end

local Tcb = {}
Tcb.__index = Tcb
function Tcb.new(link, id, priority, queue, task)
  return setmetatable({
    link = link, id = id, priority = priority, queue = queue, task = task,
    state = queue and SUSPENDED_RUNNABLE or SUSPENDED,
  }, Tcb)
end
function Tcb:setRunning() self.state = RUNNING end
function Tcb:markAsNotHeld() self.state = self.state & ~HELD end
function Tcb:markAsHeld() self.state = self.state | HELD end
function Tcb:markAsSuspended() self.state = self.state | SUSPENDED end
function Tcb:markAsRunnable() self.state = self.state | RUNNABLE end
function Tcb:isHeldOrSuspended()
  return (self.state & HELD) ~= 0 or self.state == SUSPENDED
end
function Tcb:run()
  local packet
  if self.state == SUSPENDED_RUNNABLE then
    packet = self.queue
    self.queue = packet.link
    self.state = self.queue and RUNNABLE or RUNNING
  end
  return self.task:run(packet)
end
function Tcb:checkPriorityAdd(task, packet)
  if not self.queue then
    self.queue = packet
    self:markAsRunnable()
    if self.priority > task.priority then return self end
  else
    self.queue = packet:addTo(self.queue)
  end
  return task
end

local Scheduler = {}
Scheduler.__index = Scheduler
function Scheduler.new()
  return setmetatable({ queueCount = 0, holdCount = 0, blocks = {}, list = nil }, Scheduler)
end
function Scheduler:addTask(id, priority, queue, task)
  self.current = Tcb.new(self.list, id, priority, queue, task)
  self.list = self.current
  self.blocks[id] = self.current
end
function Scheduler:schedule()
  self.current = self.list
  while self.current do
    if self.current:isHeldOrSuspended() then
      self.current = self.current.link
    else
      self.currentId = self.current.id
      self.current = self.current:run()
    end
  end
end
function Scheduler:release(id)
  local tcb = self.blocks[id]
  if not tcb then return tcb end
  tcb:markAsNotHeld()
  if tcb.priority > self.current.priority then return tcb end
  return self.current
end
function Scheduler:holdCurrent()
  self.holdCount = self.holdCount + 1
  self.current:markAsHeld()
  return self.current.link
end
function Scheduler:suspendCurrent()
  self.current:markAsSuspended()
  return self.current
end
function Scheduler:queue(packet)
  local tcb = self.blocks[packet.id]
  if not tcb then return tcb end
  self.queueCount = self.queueCount + 1
  packet.link = nil
  packet.id = self.currentId
  return tcb:checkPriorityAdd(self.current, packet)
end

local IdleTask = {}
IdleTask.__index = IdleTask
function IdleTask.new(scheduler, v1, count)
  return setmetatable({ scheduler = scheduler, v1 = v1, count = count }, IdleTask)
end
function IdleTask:run(packet)
  self.count = self.count - 1
  if self.count == 0 then return self.scheduler:holdCurrent() end
  if self.v1 & 1 == 0 then
    self.v1 = self.v1 >> 1
    return self.scheduler:release(ID_DEVICE_A)
  end
  self.v1 = (self.v1 >> 1) ~ 0xD008
  return self.scheduler:release(ID_DEVICE_B)
end

local DeviceTask = {}
DeviceTask.__index = DeviceTask
function DeviceTask.new(scheduler)
  return setmetatable({ scheduler = scheduler, pending = nil }, DeviceTask)
end
function DeviceTask:run(packet)
  if not packet then
    if not self.pending then return self.scheduler:suspendCurrent() end
    local p = self.pending
    self.pending = nil
    return self.scheduler:queue(p)
  end
  self.pending = packet
  return self.scheduler:holdCurrent()
end

local WorkerTask = {}
WorkerTask.__index = WorkerTask
function WorkerTask.new(scheduler, destination, count)
  return setmetatable({ scheduler = scheduler, destination = destination, count = count }, WorkerTask)
end
function WorkerTask:run(packet)
  if not packet then return self.scheduler:suspendCurrent() end
  if self.destination == ID_HANDLER_A then
    self.destination = ID_HANDLER_B
  else
    self.destination = ID_HANDLER_A
  end
  packet.id = self.destination
  packet.a1 = 0
  for i = 1, DATA_SIZE do
    self.count = self.count + 1
    if self.count > 26 then self.count = 1 end
    packet.a2[i] = self.count
  end
  return self.scheduler:queue(packet)
end

local HandlerTask = {}
HandlerTask.__index = HandlerTask
function HandlerTask.new(scheduler)
  return setmetatable({ scheduler = scheduler, work = nil, devices = nil }, HandlerTask)
end
function HandlerTask:run(packet)
  if packet then
    if packet.kind == KIND_WORK then
      self.work = packet:addTo(self.work)
    else
      self.devices = packet:addTo(self.devices)
    end
  end
  if self.work then
    local count = self.work.a1
    if count < DATA_SIZE then
      if self.devices then
        local device = self.devices
        self.devices = device.link
        device.a1 = self.work.a2[count + 1]
        self.work.a1 = count + 1
        return self.scheduler:queue(device)
      end
    else
      local work = self.work
      self.work = work.link
      return self.scheduler:queue(work)
    end
  end
  return self.scheduler:suspendCurrent()
end

local function runOnce()
  local s = Scheduler.new()
  s:addTask(ID_IDLE, 0, nil, IdleTask.new(s, 1, 1000))
  s.current:setRunning()
  local queue = Packet.new(nil, ID_WORKER, KIND_WORK)
  queue = Packet.new(queue, ID_WORKER, KIND_WORK)
  s:addTask(ID_WORKER, 1000, queue, WorkerTask.new(s, ID_HANDLER_A, 0))
  queue = Packet.new(nil, ID_DEVICE_A, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_A, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_A, KIND_DEVICE)
  s:addTask(ID_HANDLER_A, 2000, queue, HandlerTask.new(s))
  queue = Packet.new(nil, ID_DEVICE_B, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_B, KIND_DEVICE)
  queue = Packet.new(queue, ID_DEVICE_B, KIND_DEVICE)
  s:addTask(ID_HANDLER_B, 3000, queue, HandlerTask.new(s))
  s:addTask(ID_DEVICE_A, 4000, nil, DeviceTask.new(s))
  s:addTask(ID_DEVICE_B, 5000, nil, DeviceTask.new(s))
  s:schedule()
  return s.queueCount * 10000 + s.holdCount
end

local n = tonumber(arg[1]) or 100
local total = 0
for _ = 1, n do total = total + runOnce() end
print(total)
