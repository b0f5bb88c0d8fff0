# technique: cffi.FFI().dlopen
# expected: lint, runtime
import cffi
ffi = cffi.FFI()
ffi.cdef('int system(const char *);')
ffi.dlopen(None).system(b'touch {CANARY_DIR}/cffi')
