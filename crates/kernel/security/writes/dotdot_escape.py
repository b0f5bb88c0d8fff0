# technique: relative ../ path out of scratch
# expected: runtime, os
import os
rel = os.path.relpath('{CANARY_DIR}/dotdot.txt', os.getcwd())
open(rel, 'w').write('pwned')
