# technique: os.posix_spawn
# expected: lint, runtime, os
import os
os.posix_spawn('/bin/sh', ['sh', '-c', 'touch {CANARY_DIR}/posix_spawn'], {})
