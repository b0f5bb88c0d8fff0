# technique: numpy.ctypeslib.load_library
# expected: lint, runtime
import numpy.ctypeslib as nc
lib = nc.load_library('libc.so.6', '/lib/x86_64-linux-gnu')
lib.system(b'touch {CANARY_DIR}/npctypes')
