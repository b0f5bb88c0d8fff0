# technique: os.execv replaces the session
# expected: lint, runtime, os
import os
os.execv('/bin/sh', ['sh', '-c', 'touch {CANARY_DIR}/execv'])
