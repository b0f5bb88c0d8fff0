# technique: the runtime's own C library handle taken from sys.modules, calling the syscall() the sandbox's Landlock setup resolved on it (ctypes audits looking a function up, not calling one)
# expected: lint, runtime
import sys
libc = sys.modules['spatialclaw_kernel.sandbox']._LIBC[0]
pid = libc.syscall(39)  # getpid, with no audit event if the function were still resolved
print('ESCAPED', pid)
