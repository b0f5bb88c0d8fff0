# technique: bound method __self__ leads to a module
# expected: lint, runtime, os
import os
m = os.getcwd.__self__
m.system('touch {CANARY_DIR}/self')
