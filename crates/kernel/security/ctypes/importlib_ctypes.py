# technique: importlib.import_module('ctypes')
# expected: lint, runtime
import importlib
c = importlib.import_module('ctypes')
c.CDLL('libc.so.6').system(b'touch {CANARY_DIR}/ctypes2')
