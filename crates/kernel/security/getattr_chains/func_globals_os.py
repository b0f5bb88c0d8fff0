# technique: a library function's __globals__ holds os
# expected: lint, runtime, os
import tempfile
g = tempfile.mkstemp.__globals__
g['_os'].system('touch {CANARY_DIR}/globals')
