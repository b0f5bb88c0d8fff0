# technique: os.utime changes the canary's mtime
# expected: runtime, os
import os
os.utime('{CANARY}', (0, 0))
