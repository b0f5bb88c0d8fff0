# technique: os.popen
# expected: lint, runtime, os
import os
print('ESCAPED', os.popen('cat {CANARY}').read())
