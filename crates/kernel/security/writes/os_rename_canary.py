# technique: os.rename the canary
# expected: runtime, os
import os
os.rename('{CANARY}', '{CANARY_DIR}/moved.txt')
