# technique: ctypes reached through numpy builds an object at an arbitrary address (from_address)
# expected: lint, runtime (ctypes.cdata refused)
C = np.zeros(1).ctypes._ctypes
x = C.c_char.from_address(id(1))
print('ESCAPED', x)
