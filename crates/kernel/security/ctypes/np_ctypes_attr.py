# technique: the ctypes module numpy already imported (ndarray.ctypes._ctypes) casts an arbitrary address to read process memory
# expected: lint, runtime (ctypes events refused)
a = np.zeros(1)
C = a.ctypes._ctypes
secret = b'in-process-bytes'
p = C.cast(id(secret), C.POINTER(C.c_char))
print('ESCAPED', p[0:48])
