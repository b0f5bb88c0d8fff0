# technique: os.listdir of the canary dir
# expected: runtime, os
import os
print('ESCAPED', os.listdir('{CANARY_DIR}'))
