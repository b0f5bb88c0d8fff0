# technique: os.environ write (LD_PRELOAD)
# expected: runtime
import os
os.environ['LD_PRELOAD'] = '{CANARY_DIR}/evil.so'
print('ESCAPED')
