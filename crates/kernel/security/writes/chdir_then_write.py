# technique: os.chdir out of scratch then a relative write
# expected: runtime, os
import os
os.chdir('{CANARY_DIR}')
open('chdir.txt', 'w').write('x')
