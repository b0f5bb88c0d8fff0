# technique: from os import system as s
# expected: lint, runtime, os
from os import system as s
s('touch {CANARY_DIR}/touched')
