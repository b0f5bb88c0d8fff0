# technique: subprocess.run
# expected: lint, runtime, os
import subprocess
subprocess.run(['touch', '{CANARY_DIR}/subprocess'])
