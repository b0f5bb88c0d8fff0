# technique: os.remove the canary
# expected: runtime, os
import os
os.remove('{CANARY}')
