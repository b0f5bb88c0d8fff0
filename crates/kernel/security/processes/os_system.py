# technique: os.system
# expected: lint, runtime, os
import os
os.system('touch {CANARY_DIR}/system')
