# technique: ctypes.string_at reads raw memory
# expected: lint, runtime
import ctypes
print('ESCAPED', ctypes.string_at(id(1), 8))
