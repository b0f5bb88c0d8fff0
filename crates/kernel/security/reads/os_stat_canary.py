# technique: os.stat of the canary (metadata leak)
# expected: runtime, os
import os
print('ESCAPED', os.stat('{CANARY}').st_size)
