# technique: ctypes reached through numpy loads libc and calls system
# expected: lint, runtime (ctypes.dlopen refused), os (landlock execute)
C = np.zeros(1).ctypes._ctypes
C.CDLL('libc.so.6').system(b'touch {CANARY_DIR}/npdlopen')
