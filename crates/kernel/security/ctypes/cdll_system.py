# technique: ctypes.CDLL(None).system
# expected: lint, runtime (import), os
import ctypes
ctypes.CDLL(None).system(b'touch {CANARY_DIR}/ctypes')
