# technique: os.spawnv
# expected: lint, runtime, os
import os
os.spawnv(os.P_WAIT, '/bin/sh', ['sh', '-c', 'touch {CANARY_DIR}/spawnv'])
