# technique: glob.glob outside scratch
# expected: runtime, os
import glob
r = glob.glob('{CANARY_DIR}/*')
if r:
    print('ESCAPED', r)
