# technique: the ctypes module already loaded (by numpy and the sandbox's own Landlock setup) taken from sys.modules, cast on an arbitrary address
# expected: lint, runtime
import sys
C = sys.modules['ctypes']
data = b'in-process-bytes'
print('ESCAPED', C.cast(id(data), C.POINTER(C.c_char))[0:48])
