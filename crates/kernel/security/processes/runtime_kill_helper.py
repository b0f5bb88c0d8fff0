# technique: call the runtime's own kill helper (its code is trusted by the hook) on a host process
# expected: runtime (trust only when no agent frame is on the stack), os (landlock signal scope)
import sys
sys.modules['spatialclaw_kernel.session']._kill({VICTIM_PID})
